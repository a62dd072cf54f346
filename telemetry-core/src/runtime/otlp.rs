//! The OTLP/HTTP transport, with werf's wire mapping: each event is one span (named, like its
//! instrumentation scope, `telemetry.werf.io` for werf) carrying nine attributes, `ts`,
//! `executionID`, `userID`, `projectID`, `command`, `eventType`, `eventData` and `attributes`
//! (each a JSON document in a string), and `schemaVersion`; the resource's `service.name` is the
//! tool's name. Bodies are protobuf (`application/x-protobuf`), `POST`ed to the endpoint.
//!
//! Unlike werf's exporter, it never costs the host program more than the shutdown deadline:
//! requests go out from a thread of its own, events emitted close together share one request,
//! nothing is retried, and at shutdown the last request gets whatever time the deadline leaves.
//! Ambient `OTEL_*` variables change nothing. Every failure becomes a diagnostic.

use std::net::IpAddr;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, span::SpanKind};
use prost::Message as _;

use super::sink::{EncodedEvent, Sink, SinkError};

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
    /// The proxy to send through, if any (see [`proxy_for`]).
    pub proxy: Option<String>,
    /// How long one request may take while the program runs; at shutdown, the deadline decides.
    pub request_timeout: Duration,
}

/// Sends events to an OTLP/HTTP collector; see the [module docs](self).
#[derive(Debug)]
pub struct OtlpSink {
    span_name: String,
    service_name: String,
    pending: Vec<Span>,
    jobs: mpsc::Sender<Job>,
    /// Failures of requests already made, reported at the next chance.
    failures: Arc<Failures>,
}

/// Failures of requests, recorded by the sender thread and reported by the sink.
#[derive(Debug, Default)]
struct Failures(Mutex<Vec<String>>);

impl Failures {
    fn record(&self, message: String) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message);
    }

    /// Every failure since the last call, as one error.
    fn take(&self) -> Result<(), SinkError> {
        let failures = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        if failures.is_empty() {
            Ok(())
        } else {
            Err(SinkError::new(failures.join("; ")))
        }
    }
}

/// One request for the sender thread.
#[derive(Debug)]
struct Job {
    body: Vec<u8>,
    spans: usize,
    /// At shutdown: the request must be done by then.
    deadline: Option<Instant>,
    /// Signalled when the job is done.
    done: Option<mpsc::Sender<()>>,
}

impl OtlpSink {
    /// A sink sending to `config.endpoint` from a thread of its own.
    ///
    /// # Errors
    ///
    /// When the endpoint is not a URL, or is plain `http://` to a host that is not loopback:
    /// telemetry is never sent in the clear over a network.
    pub fn new(config: OtlpConfig) -> Result<Self, SinkError> {
        check_endpoint(&config.endpoint)?;
        let failures = Arc::new(Failures::default());
        let (jobs, inbox) = mpsc::channel();
        let sender = Sender {
            config: config.clone(),
            failures: Arc::clone(&failures),
        };
        std::thread::Builder::new()
            .name("telemetry-otlp".into())
            .spawn(move || sender.run(&inbox))
            .map_err(|error| {
                SinkError::new(format!("could not start the sender thread: {error}"))
            })?;
        Ok(OtlpSink {
            span_name: config.span_name,
            service_name: config.service_name,
            pending: Vec::new(),
            jobs,
            failures,
        })
    }

    /// Hands the pending spans to the sender thread as one request.
    fn dispatch(&mut self, deadline: Option<Instant>, done: Option<mpsc::Sender<()>>) {
        let spans = std::mem::take(&mut self.pending);
        let count = spans.len();
        let body = if spans.is_empty() {
            Vec::new()
        } else {
            self.request(spans).encode_to_vec()
        };
        if (count > 0 || done.is_some())
            && self
                .jobs
                .send(Job {
                    body,
                    spans: count,
                    deadline,
                    done,
                })
                .is_err()
        {
            self.failures.record(format!(
                "{count} event(s) not sent: the sender thread is gone"
            ));
        }
    }

    fn request(&self, spans: Vec<Span>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![string("service.name", &self.service_name)],
                    ..Resource::default()
                }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: self.span_name.clone(),
                        ..InstrumentationScope::default()
                    }),
                    spans,
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
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
        let (done, finished) = mpsc::channel();
        self.dispatch(Some(deadline), Some(done));
        if finished
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_err()
        {
            self.failures
                .record("the collector did not answer before the shutdown deadline".into());
        }
        self.failures.take()
    }
}

/// werf's span of one event.
fn span(name: &str, event: &EncodedEvent<'_>) -> Span {
    let nanos = event.ts.saturating_mul(1_000_000);
    let context = event.context;
    Span {
        trace_id: uuid::Uuid::new_v4().as_bytes().to_vec(),
        span_id: uuid::Uuid::new_v4().as_bytes()[..8].to_vec(),
        name: name.to_owned(),
        kind: SpanKind::Internal.into(),
        start_time_unix_nano: nanos,
        end_time_unix_nano: nanos,
        attributes: vec![
            integer("ts", event.ts),
            string("executionID", &context.execution_id),
            string("userID", &context.user_id),
            string("projectID", &context.project_id),
            string("command", &context.command),
            string("eventType", event.event_type),
            string("eventData", event.event_data_json),
            string("attributes", event.attributes_json),
            integer("schemaVersion", u64::from(event.schema_version)),
        ],
        ..Span::default()
    }
}

fn string(key: &str, value: &str) -> KeyValue {
    attribute(key, any_value::Value::StringValue(value.to_owned()))
}

fn integer(key: &str, value: u64) -> KeyValue {
    attribute(
        key,
        any_value::Value::IntValue(i64::try_from(value).unwrap_or(i64::MAX)),
    )
}

fn attribute(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

/// The sender thread: one request at a time, never retried.
struct Sender {
    config: OtlpConfig,
    failures: Arc<Failures>,
}

impl Sender {
    fn run(self, inbox: &mpsc::Receiver<Job>) {
        // Built here, not in the host program's thread: setting up TLS takes a moment.
        let mut agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("telemetry-core/", env!("CARGO_PKG_VERSION")));
        if let Some(proxy) = self.config.proxy.as_deref() {
            match ureq::Proxy::new(proxy) {
                Ok(proxy) => agent_config = agent_config.proxy(Some(proxy)),
                Err(error) => self.failures.record(format!(
                    "the proxy {proxy} is not usable ({error}); sending directly"
                )),
            }
        }
        let agent = ureq::Agent::new_with_config(agent_config.build());
        while let Ok(job) = inbox.recv() {
            if job.spans > 0 {
                self.send(&agent, &job);
            }
            if let Some(done) = job.done {
                let _ = done.send(());
            }
        }
    }

    fn send(&self, agent: &ureq::Agent, job: &Job) {
        let timeout = job
            .deadline
            .map_or(self.config.request_timeout, |deadline| {
                deadline.saturating_duration_since(Instant::now())
            });
        let endpoint = &self.config.endpoint;
        if timeout.is_zero() {
            return self.failures.record(format!(
                "{} event(s) not sent to {endpoint}: no time left before the deadline",
                job.spans
            ));
        }
        let response = agent
            .post(endpoint)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .header("Content-Type", "application/x-protobuf")
            .send(&job.body[..]);
        match response {
            Ok(response) if response.status().is_success() => {
                // Read the (small) answer so that the connection can be reused.
                let _ = response
                    .into_body()
                    .with_config()
                    .limit(64 * 1024)
                    .read_to_vec();
            }
            Ok(response) => self.failures.record(format!(
                "{} event(s) not accepted by {endpoint}: HTTP {}",
                job.spans,
                response.status()
            )),
            Err(error) => self.failures.record(format!(
                "{} event(s) not sent to {endpoint}: {error}",
                job.spans
            )),
        }
    }
}

/// `https://` anywhere, `http://` only to a loopback host.
fn check_endpoint(endpoint: &str) -> Result<(), SinkError> {
    let uri: ureq::http::Uri = endpoint.parse().map_err(|error| {
        SinkError::new(format!(
            "the endpoint {endpoint} is not a URL ({error}); nothing is sent"
        ))
    })?;
    match (uri.scheme_str(), uri.host()) {
        (Some("https"), Some(_)) => Ok(()),
        (Some("http"), Some(host)) if is_loopback(host) => Ok(()),
        (Some("http"), Some(_)) => Err(SinkError::new(format!(
            "the endpoint {endpoint} is plain http:// to a host that is not loopback; nothing is sent (use https://)"
        ))),
        _ => Err(SinkError::new(format!(
            "the endpoint {endpoint} is not an http(s) URL; nothing is sent"
        ))),
    }
}

/// `localhost`, `127.0.0.0/8` or `::1` (with or without brackets).
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The proxy for `endpoint`, from the standard variables as Go (and so werf) reads them:
/// `HTTPS_PROXY` for `https://` endpoints and `HTTP_PROXY` for `http://` ones (upper case
/// first), except for hosts that `NO_PROXY` lists (`*`, names and their subdomains, IP addresses
/// and CIDR ranges) and loopback hosts, which are never proxied. `var` reads a variable.
pub fn proxy_for<'a>(endpoint: &str, var: impl Fn(&str) -> Option<&'a str>) -> Option<String> {
    let uri: ureq::http::Uri = endpoint.parse().ok()?;
    let host = uri
        .host()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    if is_loopback(&host) {
        return None;
    }
    let non_empty = |names: [&str; 2]| {
        names
            .into_iter()
            .find_map(|name| var(name).filter(|value| !value.is_empty()))
    };
    let proxy = match uri.scheme_str()? {
        "https" => non_empty(["HTTPS_PROXY", "https_proxy"]),
        "http" => non_empty(["HTTP_PROXY", "http_proxy"]),
        _ => None,
    }?;
    let no_proxy = non_empty(["NO_PROXY", "no_proxy"]).unwrap_or_default();
    let bypass = no_proxy
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .any(|entry| no_proxy_matches(entry, &host));
    (!bypass).then(|| proxy.to_owned())
}

fn no_proxy_matches(entry: &str, host: &str) -> bool {
    if entry == "*" {
        return true;
    }
    if let Some((network, prefix)) = entry.split_once('/') {
        return match (
            network.parse::<IpAddr>(),
            prefix.parse::<u32>(),
            host.parse::<IpAddr>(),
        ) {
            (Ok(network), Ok(prefix), Ok(address)) => in_network(address, network, prefix),
            _ => false,
        };
    }
    // A port in the entry is ignored: the endpoint's host decides.
    let entry = match entry.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.contains(':') => {
            name
        }
        _ => entry,
    };
    let entry = entry
        .trim_start_matches("*.")
        .trim_start_matches('.')
        .to_ascii_lowercase();
    host == entry || host.ends_with(&format!(".{entry}"))
}

fn in_network(address: IpAddr, network: IpAddr, prefix: u32) -> bool {
    match (address, network) {
        (IpAddr::V4(address), IpAddr::V4(network)) if prefix <= 32 => {
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            u32::from(address) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(address), IpAddr::V6(network)) if prefix <= 128 => {
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            u128::from(address) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{check_endpoint, proxy_for};

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

    fn proxy(endpoint: &str, vars: &[(&str, &str)]) -> Option<String> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        proxy_for(endpoint, |name| vars.get(name).copied())
    }

    #[test]
    fn proxies_follow_gos_rules() {
        let https = "https://telemetry.werf.io/v1/traces";
        assert_eq!(proxy(https, &[]), None);
        assert_eq!(
            proxy(https, &[("HTTPS_PROXY", "http://proxy:3128")]).as_deref(),
            Some("http://proxy:3128")
        );
        assert_eq!(
            proxy(https, &[("https_proxy", "http://lower:3128")]).as_deref(),
            Some("http://lower:3128")
        );
        assert_eq!(
            proxy(
                https,
                &[
                    ("HTTPS_PROXY", "http://upper:3128"),
                    ("https_proxy", "http://lower:3128")
                ]
            )
            .as_deref(),
            Some("http://upper:3128")
        );
        // HTTP_PROXY is for http:// endpoints; ALL_PROXY is not read, as in Go.
        assert_eq!(
            proxy(
                https,
                &[
                    ("HTTP_PROXY", "http://proxy:3128"),
                    ("ALL_PROXY", "http://all:1")
                ]
            ),
            None
        );
        for no_proxy in [
            "*",
            "werf.io",
            ".werf.io",
            "*.werf.io",
            "telemetry.werf.io",
            "example.com, werf.io",
            "werf.io:443",
        ] {
            assert_eq!(
                proxy(
                    https,
                    &[("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", no_proxy)]
                ),
                None,
                "{no_proxy}"
            );
        }
        assert!(
            proxy(
                https,
                &[
                    ("HTTPS_PROXY", "http://proxy:3128"),
                    ("NO_PROXY", "rf.io,other")
                ]
            )
            .is_some()
        );
        assert_eq!(
            proxy(
                "https://10.1.2.3/v1/traces",
                &[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "10.0.0.0/8")]
            ),
            None
        );
        assert!(
            proxy(
                "https://11.1.2.3/v1/traces",
                &[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "10.0.0.0/8")]
            )
            .is_some()
        );
        // Loopback is never proxied.
        assert_eq!(
            proxy(
                "http://127.0.0.1:4318/v1/traces",
                &[("HTTP_PROXY", "http://proxy:3128")]
            ),
            None
        );
    }
}
