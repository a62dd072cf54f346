//! The sections about the runtime, from its own tables: how events are sent, the log file and
//! its diagnostics, the environment variables, the CI systems.

use std::fmt::Write as _;

use telemetry_core::detect::{CI_SYSTEMS, CiSignal};
use telemetry_core::diagnostics::{KINDS, SHOWN_PER_KIND};
use telemetry_core::environment::{self, EnvVar};
use telemetry_core::otlp::{SPAN_ATTRIBUTES, SpanValue};

use super::table::cell;
use crate::{Config, files};

/// Where events go and in what form: the OTLP span the transport builds, from its own table.
pub(super) fn sending(out: &mut String, config: &Config) {
    let trace_url = environment::TRACE_URL.name_for(config.env_prefix());
    let destination = match config.endpoint_url() {
        Some(endpoint) => format!("Events are sent to `{endpoint}` (`{trace_url}` overrides it)"),
        None => format!(
            "Events are sent only to the endpoint the program is built with, if any, or that \
             `{trace_url}` names"
        ),
    };
    let _ = write!(
        out,
        "### How it is sent\n\n\
         {destination}, over HTTPS (plain HTTP only to a loopback address), as OpenTelemetry \
         traces (OTLP/HTTP, protobuf). Each event is one span named `{span}`, in an \
         instrumentation scope of the same name, of a resource whose `service.name` is `{tool}`. \
         The span starts and ends at `ts` and carries nine attributes; `eventData` and \
         `attributes` travel as JSON documents in strings, exactly as above:\n\n\
         | Span attribute | OTLP type | Value |\n\
         |---|---|---|\n",
        span = config.resolved_span_name(),
        tool = config.tool_name(),
    );
    for attribute in SPAN_ATTRIBUTES {
        let value = match attribute.value {
            SpanValue::EventData | SpanValue::Attributes => {
                format!("`{}`, serialised as JSON", attribute.key)
            }
            _ => format!("`{}`", attribute.key),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {value} |",
            attribute.key,
            attribute.value.otlp_type()
        );
    }
    let _ = write!(
        out,
        "\nEvents emitted close together share one request; nothing is retried, and at exit the \
         program waits for telemetry at most its shutdown deadline (250 ms unless it says \
         otherwise), whatever the network does. \
         The standard proxy variables are honoured by the rules of Go's \
         `ProxyFromEnvironment`; `OTEL_*` variables change nothing.\n\n\
         For machines: [`{stream}`](../{stream}) is the JSON Schema of every payload (one \
         definition per event version, `<EventType>V<N>`), [`{catalogue}`](../{catalogue}) \
         records every event version and the corrections made to it, and \
         [`{log_line}`](../{log_line}) describes every line of the log file.\n\n",
        stream = files::STREAM_SCHEMA,
        catalogue = files::CATALOGUE,
        log_line = files::LOG_LINE_SCHEMA,
    );
}

/// Where to look for the log file and the opt-outs, from the runtime's own table.
pub(super) fn configuration(out: &mut String, config: &Config) {
    let prefix = config.env_prefix();
    let log_file = environment::LOG_FILE.name_for(prefix);
    let telemetry = environment::TELEMETRY.name_for(prefix);
    let _ = write!(
        out,
        "## Configuring the telemetry log file\n\n\
         `{log_file}`: {log_purpose}\n\n\
         ```sh\nexport {log_file}=$HOME/{name}-telemetry.jsonl\n```\n\n\
         A line with a `diagnostic` key reports a problem of the run, never shown on the \
         terminal; the first {SHOWN_PER_KIND} of each kind are written, then one line counts the \
         rest. [`{log_line}`](../{log_line}) is the schema of every line.\n\n\
         | `diagnostic` | Reports |\n\
         |---|---|\n\
         {kinds}\n\n\
         ## Disabling telemetry\n\n\
         `{telemetry}`: {telemetry_purpose}\n\n\
         ```sh\nexport {telemetry}=0\n```\n\n\
         `{do_not_track}`: {do_not_track_purpose}\n\n\
         ## Environment variables\n\n\
         | Variable | Purpose |\n\
         |---|---|\n",
        log_purpose = environment::LOG_FILE.purpose_for(prefix),
        name = config.tool_name(),
        telemetry_purpose = environment::TELEMETRY.purpose_for(prefix),
        do_not_track = environment::DO_NOT_TRACK.name,
        do_not_track_purpose = environment::DO_NOT_TRACK.purpose_for(prefix),
        log_line = files::LOG_LINE_SCHEMA,
        kinds = KINDS
            .iter()
            .map(|kind| format!("| `{}` | {} |", kind.name, cell(kind.meaning)))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    // The program's own variables first, then `CI`, which every tool reads.
    let (ambient, own): (Vec<&EnvVar>, Vec<&EnvVar>) = environment::ALL
        .iter()
        .partition(|var| var.name == environment::CI.name);
    for var in own
        .into_iter()
        .chain(config.group_channel_variable())
        .chain(ambient)
    {
        env_row(out, var, prefix);
    }
    out.push_str(
        "\n## CI systems\n\n\
         `attributes.ciName` names the CI/CD system the command runs in, detected from its own \
         variables (when several match, the last one in this table wins):\n\n\
         | `ciName` | Detected when |\n\
         |---|---|\n",
    );
    for system in CI_SYSTEMS {
        let condition = match system.signal {
            CiSignal::IsTrue(name) => format!("`{name}` is `true`"),
            CiSignal::NonEmpty(name) => format!("`{name}` is set"),
            CiSignal::Equals(name, value) => format!("`{name}` is `{value}`"),
            _ => format!("`{}` is set", system.signal.variable()),
        };
        let _ = writeln!(out, "| `{}` | {condition} |", system.name);
    }
}

fn env_row(out: &mut String, var: &EnvVar, prefix: &str) {
    let _ = writeln!(
        out,
        "| `{}` | {} |",
        var.name_for(prefix),
        cell(&var.purpose_for(prefix))
    );
}
