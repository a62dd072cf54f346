//! The OTLP/HTTP transport, with werf's wire mapping: each event is one span (named, like its
//! instrumentation scope, `telemetry.werf.io` for werf) carrying nine attributes, `ts`,
//! `executionID`, `userID`, `projectID`, `command`, `eventType`, `eventData` and `attributes`
//! (each a JSON document in a string), and `schemaVersion`; the resource's `service.name` is the
//! tool's name. Bodies are protobuf (`application/x-protobuf`), `POST`ed to the endpoint.
//!
//! The requests are made by the transport the program was built with ([`Transport`]): ureq
//! and rustls in the program's own process, or the system's `curl` program.
//!
//! Unlike werf's exporter, it never costs the host program more than the shutdown deadline:
//! requests go out from a thread of its own, events emitted close together share one request,
//! nothing is retried, and at shutdown the last request gets whatever time the deadline leaves.
//! Ambient `OTEL_*` variables change nothing, and neither does anything else in the environment
//! but what [`proxy::route`] decided from it. Every failure becomes a
//! diagnostic, with any user name and password of a URL left out.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[cfg(feature = "curl")]
mod curl;
#[cfg(feature = "rustls")]
mod in_process;
mod request;
mod sender;
mod wire;

use super::proxy::{self, Route};
use super::queue;
use super::sink::{EncodedEvent, Sink, SinkError};
pub use super::transport::Transport;
use super::url::{Url, is_loopback};
use crate::runtime::thread::spawn_detached;
use sender::{Failures, Job, Sender};

/// Most spans in one request; more are sent in another.
const MAX_BATCH: usize = 512;

/// How to reach the collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpConfig {
    /// The traces endpoint: `https://.../v1/traces` (plain `http://` on loopback only).
    pub endpoint: String,
    /// The resource's `service.name`: the tool's name.
    pub service_name: String,
    /// The name of every span and of the instrumentation scope: `telemetry.werf.io` for werf.
    pub span_name: String,
    /// How requests go out: directly, through a proxy, or not at all (see [`proxy::route`]).
    pub route: Route,
    /// How long one request may take while the program runs; at shutdown, the deadline decides.
    pub request_timeout: Duration,
    /// Who makes the requests: [`Transport::preferred`] unless the program chose; `None` sends
    /// nothing (the program was built without a transport).
    pub transport: Option<Transport>,
}

/// Sends events to an OTLP/HTTP collector; see the [module docs](self).
#[derive(Debug)]
pub struct OtlpSink {
    span_name: String,
    service_name: String,
    /// The endpoint as diagnostics show it.
    shown_endpoint: String,
    /// Spans not yet handed to the sender thread, encoded.
    pending: Vec<Vec<u8>>,
    jobs: queue::Sender<Job>,
    /// Failures of requests already made, reported at the next chance.
    failures: Arc<Failures>,
    /// Spans handed to the sender thread and not yet sent or given up.
    in_flight: Arc<AtomicUsize>,
}

impl OtlpSink {
    /// A sink sending to `config.endpoint` from a thread of its own.
    ///
    /// # Errors
    ///
    /// When the endpoint is not a URL, or is plain `http://` to a host that is not loopback
    /// (telemetry is never sent in the clear over a network), or the proxy setting cannot be
    /// honoured.
    pub fn new(config: OtlpConfig) -> Result<Self, SinkError> {
        check_endpoint(&config.endpoint)?;
        if let Route::Refused(why) = &config.route {
            return Err(SinkError::new(why.clone()));
        }
        let transport = config.transport.ok_or_else(|| {
            SinkError::new(
                "this program was built without a transport for its telemetry (telemetry-core's \
                 `rustls` or `curl` feature); nothing is sent",
            )
        })?;
        sender::check(transport, &config.endpoint, &config.route).map_err(SinkError::new)?;
        let failures = Arc::new(Failures::default());
        let in_flight = Arc::new(AtomicUsize::new(0));
        let (jobs, inbox) = queue::unbounded();
        let sender = Sender {
            transport,
            shown_endpoint: proxy::redact(&config.endpoint),
            endpoint: config.endpoint.clone(),
            route: config.route.clone(),
            request_timeout: config.request_timeout,
            failures: Arc::clone(&failures),
            in_flight: Arc::clone(&in_flight),
        };
        spawn_detached(
            "telemetry-otlp".into(),
            Box::new(move || sender.run(&inbox)),
        )
        .map_err(|error| SinkError::new(format!("could not start the sender thread: {error}")))?;
        Ok(OtlpSink {
            shown_endpoint: proxy::redact(&config.endpoint),
            span_name: config.span_name,
            service_name: config.service_name,
            pending: Vec::new(),
            jobs,
            failures,
            in_flight,
        })
    }

    /// Hands the pending spans to the sender thread as one request.
    fn dispatch(&mut self, deadline: Option<Instant>, done: Option<queue::Sender<()>>) {
        let spans = std::mem::take(&mut self.pending);
        let count = spans.len();
        let body = if spans.is_empty() {
            Vec::new()
        } else {
            wire::request(&self.service_name, &self.span_name, &spans)
        };
        if count == 0 && done.is_none() {
            return;
        }
        self.in_flight.fetch_add(count, Ordering::AcqRel);
        let job = Job {
            body,
            spans: count,
            deadline,
            done,
        };
        if self.jobs.try_send(job).is_err() {
            self.in_flight.fetch_sub(count, Ordering::AcqRel);
            self.failures.record(format!(
                "{count} event(s) not sent: the sender thread is gone"
            ));
        }
    }
}

impl Sink for OtlpSink {
    fn deliver(&mut self, event: &EncodedEvent<'_>) -> Result<(), SinkError> {
        self.pending.push(span(&self.span_name, event));
        if self.pending.len() >= MAX_BATCH {
            self.dispatch(None, None);
        }
        Ok(())
    }

    fn idle(&mut self) -> Result<(), SinkError> {
        self.dispatch(None, None);
        self.failures.take()
    }

    fn flush(&mut self, deadline: Instant) -> Result<(), SinkError> {
        let (done, finished) = queue::unbounded();
        self.dispatch(Some(deadline), Some(done));
        if finished
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_err()
        {
            let unsent = self.in_flight.load(Ordering::Acquire);
            self.failures.record(format!(
                "{unsent} event(s) not delivered to {} before the shutdown deadline: the \
                 collector did not answer in time",
                self.shown_endpoint
            ));
        }
        self.failures.take()
    }
}

/// What a span attribute carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpanValue {
    /// `ts`, an integer.
    Ts,
    /// `executionID`, a string.
    ExecutionId,
    /// `userID`, a string.
    UserId,
    /// `projectID`, a string.
    ProjectId,
    /// `command`, a string.
    Command,
    /// `eventType`, a string.
    EventType,
    /// `eventData`, serialised: a JSON document in a string.
    EventData,
    /// `attributes`, serialised: a JSON document in a string.
    Attributes,
    /// `schemaVersion`, an integer.
    SchemaVersion,
}

impl SpanValue {
    /// The OTLP value type: `int` or `string`.
    pub fn otlp_type(self) -> &'static str {
        match self {
            SpanValue::Ts | SpanValue::SchemaVersion => "int",
            _ => "string",
        }
    }
}

/// One attribute of an event's span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanAttribute {
    /// The attribute's key.
    pub key: &'static str,
    /// What it carries.
    pub value: SpanValue,
}

/// The attributes of every event's span, in order: werf's wire mapping. The transport builds
/// spans from this table, and the generated docs show it.
pub const SPAN_ATTRIBUTES: [SpanAttribute; 9] = [
    SpanAttribute {
        key: "ts",
        value: SpanValue::Ts,
    },
    SpanAttribute {
        key: "executionID",
        value: SpanValue::ExecutionId,
    },
    SpanAttribute {
        key: "userID",
        value: SpanValue::UserId,
    },
    SpanAttribute {
        key: "projectID",
        value: SpanValue::ProjectId,
    },
    SpanAttribute {
        key: "command",
        value: SpanValue::Command,
    },
    SpanAttribute {
        key: "eventType",
        value: SpanValue::EventType,
    },
    SpanAttribute {
        key: "eventData",
        value: SpanValue::EventData,
    },
    SpanAttribute {
        key: "attributes",
        value: SpanValue::Attributes,
    },
    SpanAttribute {
        key: "schemaVersion",
        value: SpanValue::SchemaVersion,
    },
];

/// The span's attributes in the order of the envelope's keys (`ts, executionID, userID,
/// projectID, command, attributes, eventType, eventData, schemaVersion`): what a receiver
/// rebuilds the envelope in, byte for byte the line the sender's log file holds.
pub const ENVELOPE_ORDER: [SpanValue; 9] = [
    SpanValue::Ts,
    SpanValue::ExecutionId,
    SpanValue::UserId,
    SpanValue::ProjectId,
    SpanValue::Command,
    SpanValue::Attributes,
    SpanValue::EventType,
    SpanValue::EventData,
    SpanValue::SchemaVersion,
];

/// werf's span of one event, encoded.
fn span(name: &str, event: &EncodedEvent<'_>) -> Vec<u8> {
    let context = event.context;
    let integer = |value: u64| wire::Value::Int(i64::try_from(value).unwrap_or(i64::MAX));
    let attributes = SPAN_ATTRIBUTES.iter().map(|attribute| {
        let value = match attribute.value {
            SpanValue::Ts => integer(event.ts),
            SpanValue::ExecutionId => wire::Value::String(&context.execution_id),
            SpanValue::UserId => wire::Value::String(&context.user_id),
            SpanValue::ProjectId => wire::Value::String(&context.project_id),
            SpanValue::Command => wire::Value::String(&context.command),
            SpanValue::EventType => wire::Value::String(event.event_type),
            SpanValue::EventData => wire::Value::String(event.event_data_json),
            SpanValue::Attributes => wire::Value::String(event.attributes_json),
            SpanValue::SchemaVersion => integer(u64::from(event.schema_version)),
        };
        (attribute.key, value)
    });
    let header = wire::Span {
        trace_id: crate::random::bytes(),
        id: crate::random::bytes(),
        name,
        time_unix_nano: event.ts.saturating_mul(1_000_000),
    };
    wire::span(&header, attributes)
}

/// `https://` anywhere, `http://` only to a loopback host.
fn check_endpoint(endpoint: &str) -> Result<(), SinkError> {
    let shown = proxy::redact(endpoint);
    let url = Url::parse(endpoint).ok_or_else(|| {
        SinkError::new(format!(
            "the endpoint {shown} is not a URL; nothing is sent"
        ))
    })?;
    match url.scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if is_loopback(url.host) => Ok(()),
        "http" => Err(SinkError::new(format!(
            "the endpoint {shown} is plain http:// to a host that is not loopback; nothing is sent (use https://)"
        ))),
        _ => Err(SinkError::new(format!(
            "the endpoint {shown} is not an http(s) URL; nothing is sent"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::{ENVELOPE_ORDER, SPAN_ATTRIBUTES, check_endpoint};

    #[test]
    fn the_envelope_order_is_the_envelopes_and_names_every_attribute_once() {
        let keys: Vec<&str> = ENVELOPE_ORDER
            .iter()
            .filter_map(|value| {
                SPAN_ATTRIBUTES
                    .iter()
                    .find(|attribute| attribute.value == *value)
                    .map(|attribute| attribute.key)
            })
            .collect();
        assert_eq!(keys, crate::model::envelope::keys::ALL);
    }

    #[test]
    fn https_anywhere_plain_http_on_loopback_only() {
        for ok in [
            "https://telemetry.werf.io/v1/traces",
            "http://127.0.0.1:4318/v1/traces",
            "http://127.1.2.3/v1/traces",
            "http://localhost:4318/v1/traces",
            "http://[::1]:4318/v1/traces",
        ] {
            assert!(check_endpoint(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://telemetry.werf.io/v1/traces",
            "http://10.0.0.1/v1/traces",
            "http://localhost.attacker.example/v1/traces",
            "ftp://telemetry.werf.io/v1/traces",
            "not a url",
            "/v1/traces",
        ] {
            assert!(check_endpoint(refused).is_err(), "{refused}");
        }
        assert_eq!(
            check_endpoint("http://telemetry.werf.io/v1/traces")
                .unwrap_err()
                .message,
            "the endpoint http://telemetry.werf.io/v1/traces is plain http:// to a host that is not \
             loopback; nothing is sent (use https://)"
        );
    }
}
