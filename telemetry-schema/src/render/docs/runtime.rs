//! The sections about the runtime, from its own tables: how events are sent, the log file and
//! its diagnostics, the environment variables, the CI systems.

use std::fmt::Write as _;

use telemetry_core::decide::PRECEDENCE;
use telemetry_core::detect::{CI_SYSTEMS, CiSignal};
use telemetry_core::diagnostics::{KINDS, SHOWN_PER_KIND};
use telemetry_core::environment::{self, EnvVar};
use telemetry_core::otlp::{SPAN_ATTRIBUTES, SpanValue};

use super::table::cell;
use crate::config::Config;
use crate::paths;

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
        stream = paths::STREAM_SCHEMA,
        catalogue = paths::CATALOGUE,
        log_line = paths::LOG_LINE_SCHEMA,
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
         The user's choice can also be remembered, `enable` or `disable`, in the file `choice` \
         of the telemetry configuration directory (`{config_dir}`, or the platform's; see \
         below); the program's `telemetry` subcommand, when it has one, sets it. `enable` \
         writes `enabled` and `disable` writes `disabled`, each with a newline: these two \
         records, whitespace around them aside, are the only choices. Anything else in the \
         file (another word, another case, a byte-order mark), a file that cannot be read, and \
         one that is not trusted (it or the directory is another user's, or others can write \
         to it) is a doubt, and doubt counts as an opt-out: telemetry is off, a \
         `configuration` diagnostic says why, and the next `enable` or `disable` keeps the \
         file aside rather than write through it. Any opt-out wins, wherever it is said; the \
         first of these settings that applies decides:\n\n\
         | Setting | Telemetry |\n\
         |---|---|\n\
         {precedence}\n\n\
         A remembered `disable`, or a doubt, is read by the background thread before anything \
         else: then nothing else is read, written or sent.\n\n",
        log_purpose = environment::LOG_FILE.purpose_for(prefix),
        name = config.tool_name(),
        telemetry_purpose = environment::TELEMETRY.purpose_for(prefix),
        do_not_track = environment::DO_NOT_TRACK.name,
        do_not_track_purpose = environment::DO_NOT_TRACK.purpose_for(prefix),
        log_line = paths::LOG_LINE_SCHEMA,
        config_dir = environment::CONFIG_DIR.name_for(prefix),
        precedence = PRECEDENCE
            .iter()
            .map(|rule| format!(
                "| {} | {} |",
                rule.setting.replace("{PREFIX}", prefix),
                rule.effect
            ))
            .collect::<Vec<_>>()
            .join("\n"),
        kinds = KINDS
            .iter()
            .map(|kind| format!("| `{}` | {} |", kind.name, cell(kind.meaning)))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    notice_and_identity(out, config);
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
            CiSignal::NonEmpty(name) => format!("`{name}` is set and not empty"),
            CiSignal::Equals(name, value) => format!("`{name}` is `{value}`"),
            _ => format!("`{}` is set", system.signal.variable()),
        };
        let _ = writeln!(out, "| `{}` | {condition} |", system.name);
    }
}

/// The dry run, the first-run notice and the installation ID, and the head of the table of
/// variables.
fn notice_and_identity(out: &mut String, config: &Config) {
    let prefix = config.env_prefix();
    let _ = write!(
        out,
        "## Seeing what would be sent\n\n\
         `{telemetry}=local` is a dry run: every event is written to the log file, exactly as it \
         would be sent, and nothing leaves the machine, not even a connection attempt.\n\n\
         ```sh\n{telemetry}=local {log_file}=telemetry.jsonl {name} ...\n```\n\n\
         ## The first-run notice\n\n\
         A program may show a notice of what it collects, how to see it and how to turn it \
         off. It is shown once per user, and once more when the program's notice changes; \
         never when any opt-out is set, never when a CI system runs the command, never when \
         standard error is not a terminal, and not after a remembered `enable`. A run that \
         starts with it due sends nothing, whatever other runs do. It counts as shown, recorded \
         in the configuration directory, only once the program has taken its text to print \
         it: a run interrupted before then leaves it due, and two first runs at once both show \
         it.\n\n\
         ## The installation ID\n\n\
         When the program asks for it, `userID` is the installation's pseudonymous ID: a \
         random UUID made on first use and kept in `installation-id` in the configuration \
         directory. It says nothing about the user, but ties together every event of one \
         installation. Resetting (`telemetry reset`, when the program has the subcommand) \
         forgets it and the key hashed fields are made with, attempting each and failing, \
         with each named, when any remains; new ones, unrelated to the old, are made when \
         next needed. Otherwise `userID` is empty, unless the program sets it.\n\n\
         ## Environment variables\n\n\
         | Variable | Purpose |\n\
         |---|---|\n",
        telemetry = environment::TELEMETRY.name_for(prefix),
        log_file = environment::LOG_FILE.name_for(prefix),
        name = config.tool_name(),
    );
}

fn env_row(out: &mut String, var: &EnvVar, prefix: &str) {
    let _ = writeln!(
        out,
        "| `{}` | {} |",
        var.name_for(prefix),
        cell(&var.purpose_for(prefix))
    );
}
