//! The OTLP/HTTP transport against a real collector on 127.0.0.1: requests decoded with the
//! protobuf types, every span attribute checked against the log file's envelopes, `eventData`
//! and `attributes` validated against the event's schema; batching, the https rule, proxies,
//! ignored `OTEL_*` variables, and failures as diagnostics.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

#[path = "../../support/collector.rs"]
mod collector;

use std::ffi::OsString;
use std::time::Duration;

use collector::{Behaviour, Collector, refused_endpoint};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value::Value as Any};
use opentelemetry_proto::tonic::trace::v1::{Span, span::SpanKind};
use prost::Message as _;
use serde_json::{Value, json};
use telemetry_core::werf::{self as events, CommandExited};
use telemetry_core::{Settings, Telemetry};
use telemetry_schema::EventVersion;

fn settings(endpoint: &str) -> Settings {
    Settings {
        command: "werf converge".into(),
        endpoint: Some(endpoint.into()),
        shutdown_timeout: Duration::from_secs(5),
        ..events::settings("2.1.0")
    }
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
    pairs
        .iter()
        .map(|(name, value)| (OsString::from(name), OsString::from(value)))
        .collect()
}

use telemetry_tests::log_lines;

/// Sends one event to `endpoint`, with `extra` variables set, and returns the log file's lines.
fn one_event_logged(endpoint: &str, extra: &[(&str, &str)]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let mut variables = vars(extra);
    variables.push(("WERF_TELEMETRY_LOG_FILE".into(), log.clone().into()));
    let telemetry = Telemetry::builder(settings(endpoint))
        .vars(variables)
        .build();
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 0,
    });
    telemetry.shutdown();
    log_lines(&log)
}

fn decode(body: &[u8]) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest::decode(body).unwrap()
}

fn spans(collector: &Collector) -> Vec<Span> {
    collector
        .requests()
        .iter()
        .flat_map(|request| decode(&request.body).resource_spans)
        .flat_map(|resource| resource.scope_spans)
        .flat_map(|scope| scope.spans)
        .collect()
}

fn value(attribute: &KeyValue) -> Value {
    match attribute
        .value
        .as_ref()
        .and_then(|value| value.value.as_ref())
    {
        Some(Any::StringValue(text)) => Value::String(text.clone()),
        Some(Any::IntValue(number)) => json!(number),
        other => panic!("unexpected attribute value {other:?}"),
    }
}

#[test]
fn each_event_is_one_span_with_werfs_nine_attributes() {
    let collector = Collector::start(Behaviour::Accept);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let telemetry = Telemetry::builder(settings(&collector.endpoint()))
        .vars(vars(&[
            ("WERF_TELEMETRY_LOG_FILE", log.to_str().unwrap()),
            ("GITLAB_CI", "true"),
        ]))
        .build();
    telemetry.emit(events::examples::command_started().event);
    telemetry.emit(events::examples::stage_build_finished().event);
    telemetry.emit(events::examples::image_build_finished().event);
    telemetry.emit(CommandExited {
        exit_code: 1,
        duration_ms: 10,
    });
    telemetry.shutdown();

    let requests = collector.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(request.start_line, "POST /v1/traces HTTP/1.1");
        assert_eq!(
            request.header("content-type"),
            Some("application/x-protobuf")
        );
        let decoded = decode(&request.body);
        let resource = decoded.resource_spans[0].resource.as_ref().unwrap();
        assert_eq!(resource.attributes.len(), 1);
        assert_eq!(resource.attributes[0].key, "service.name");
        assert_eq!(value(&resource.attributes[0]), "werf");
        let scope = decoded.resource_spans[0].scope_spans[0]
            .scope
            .as_ref()
            .unwrap();
        assert_eq!(scope.name, "telemetry.werf.io");
    }

    let envelopes = log_lines(&log);
    let spans = spans(&collector);
    assert_eq!(spans.len(), 4);
    assert_eq!(envelopes.len(), 4);
    let versions = EventVersion::registered(&telemetry_tests::werf_config()).unwrap();
    for (span, envelope) in spans.iter().zip(&envelopes) {
        assert_eq!(span.name, "telemetry.werf.io");
        assert_eq!(span.kind, i32::from(SpanKind::Internal));
        assert_eq!(span.trace_id.len(), 16);
        assert_eq!(span.span_id.len(), 8);
        let ts = envelope["ts"].as_u64().unwrap();
        assert_eq!(span.start_time_unix_nano, ts * 1_000_000);
        assert_eq!(span.end_time_unix_nano, span.start_time_unix_nano);

        let keys: Vec<&str> = span
            .attributes
            .iter()
            .map(|attribute| attribute.key.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "ts",
                "executionID",
                "userID",
                "projectID",
                "command",
                "eventType",
                "eventData",
                "attributes",
                "schemaVersion"
            ]
        );
        let attribute = |index: usize| value(&span.attributes[index]);
        assert_eq!(attribute(0), json!(ts));
        for (index, key) in [
            (1, "executionID"),
            (2, "userID"),
            (3, "projectID"),
            (4, "command"),
            (5, "eventType"),
        ] {
            assert_eq!(attribute(index), envelope[key], "{key}");
        }
        assert_eq!(attribute(8), envelope["schemaVersion"]);
        // eventData and attributes travel as JSON documents in strings.
        let event_data: Value = serde_json::from_str(attribute(6).as_str().unwrap()).unwrap();
        let attributes: Value = serde_json::from_str(attribute(7).as_str().unwrap()).unwrap();
        assert_eq!(event_data, envelope["eventData"]);
        assert_eq!(attributes, envelope["attributes"]);
        assert_eq!(attributes["ciName"], "gitlab");

        // The envelope rebuilt from the span alone is valid for its event's schema.
        let rebuilt = json!({
            "ts": attribute(0), "executionID": attribute(1), "userID": attribute(2),
            "projectID": attribute(3), "command": attribute(4), "attributes": attributes,
            "eventType": attribute(5), "eventData": event_data, "schemaVersion": attribute(8),
        });
        let version = versions
            .iter()
            .find(|v| envelope["eventType"] == v.event_type.as_str())
            .unwrap();
        jsonschema::draft202012::new(&version.schema)
            .unwrap()
            .validate(&rebuilt)
            .unwrap();
    }
}

#[test]
fn events_emitted_close_together_share_one_request() {
    let collector = Collector::start(Behaviour::Accept);
    let telemetry = Telemetry::builder(settings(&collector.endpoint()))
        .vars(Vec::new())
        .build();
    for index in 0..50 {
        telemetry.emit(CommandExited {
            exit_code: index,
            duration_ms: 0,
        });
    }
    telemetry.shutdown();
    assert_eq!(spans(&collector).len(), 50);
    let requests = collector.requests().len();
    assert!(
        (1..50).contains(&requests),
        "{requests} requests for 50 events"
    );
}

#[test]
fn the_trace_url_variable_overrides_the_endpoint_and_otel_variables_change_nothing() {
    let collector = Collector::start(Behaviour::Accept);
    let decoy = Collector::start(Behaviour::Accept);
    let telemetry = Telemetry::builder(settings(&decoy.endpoint()))
        .vars(vars(&[
            ("WERF_TELEMETRY_TRACE_URL", &collector.endpoint()),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &decoy.address()),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &decoy.endpoint()),
            ("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer secret"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_SDK_DISABLED", "true"),
            ("OTEL_TRACES_SAMPLER", "always_off"),
            ("OTEL_SERVICE_NAME", "someone-else"),
            ("OTEL_RESOURCE_ATTRIBUTES", "host.name=secret-host"),
        ]))
        .build();
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 0,
    });
    telemetry.shutdown();
    assert!(decoy.requests().is_empty());
    let requests = collector.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("authorization"), None);
    let body = String::from_utf8_lossy(&requests[0].body);
    assert!(!body.contains("someone-else") && !body.contains("secret-host"));
}

#[test]
fn plain_http_to_a_network_host_is_refused_with_a_diagnostic() {
    let lines = one_event_logged("http://telemetry.example.com/v1/traces", &[]);
    assert_eq!(lines[0]["diagnostic"], "configuration");
    assert_eq!(
        lines[0]["message"],
        "the endpoint http://telemetry.example.com/v1/traces is plain http:// to a host that is not loopback; \
         nothing is sent (use https://)"
    );
    assert_eq!(
        lines[1]["eventType"], "CommandExited",
        "the log file still gets the event"
    );
}

#[test]
fn an_https_proxy_from_the_standard_variables_is_used() {
    // The proxy refuses to tunnel; what matters is that the request went through it.
    let proxy = Collector::start(Behaviour::Status(403));
    let lines = one_event_logged(
        "https://telemetry.example.com/v1/traces",
        &[("HTTPS_PROXY", &proxy.address())],
    );
    let requests = proxy.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].start_line,
        "CONNECT telemetry.example.com:443 HTTP/1.1"
    );
    assert!(lines.iter().any(|line| line["diagnostic"] == "delivery"));
}

#[test]
fn every_failure_becomes_a_diagnostic_line_and_nothing_else() {
    let server_error = Collector::start(Behaviour::Status(500));
    let garbage = Collector::start(Behaviour::Garbage);
    let refused = refused_endpoint();
    for (endpoint, expected) in [
        (server_error.endpoint(), "HTTP 500"),
        (garbage.endpoint(), "not delivered to"),
        (refused.clone(), "not delivered to"),
    ] {
        let lines = one_event_logged(&endpoint, &[]);
        let diagnostics: Vec<&Value> = lines
            .iter()
            .filter(|line| line.get("diagnostic").is_some())
            .collect();
        assert_eq!(diagnostics.len(), 1, "{endpoint}: {lines:?}");
        assert_eq!(diagnostics[0]["diagnostic"], "delivery");
        let message = diagnostics[0]["message"].as_str().unwrap();
        assert!(
            message.contains(expected) && message.contains(&endpoint),
            "{message}"
        );
    }
}

#[test]
fn the_shutdown_deadline_leaves_its_diagnostic_every_time() {
    let silent = Collector::start(Behaviour::Silent);
    std::thread::scope(|scope| {
        for _ in 0..10 {
            scope.spawn(|| {
                let dir = tempfile::tempdir().unwrap();
                let log = dir.path().join("telemetry.jsonl");
                let telemetry = Telemetry::builder(Settings {
                    shutdown_timeout: Duration::from_millis(1500),
                    ..settings(&silent.endpoint())
                })
                .vars(vars(&[("WERF_TELEMETRY_LOG_FILE", log.to_str().unwrap())]))
                .build();
                telemetry.emit(CommandExited {
                    exit_code: 0,
                    duration_ms: 0,
                });
                telemetry.shutdown();
                let lines = log_lines(&log);
                let deadline: Vec<&Value> = lines
                    .iter()
                    .filter(|line| {
                        line["diagnostic"] == "delivery"
                            && line["message"]
                                .as_str()
                                .is_some_and(|m| m.contains("before the shutdown deadline"))
                    })
                    .collect();
                assert_eq!(deadline.len(), 1, "{lines:?}");
                assert_eq!(
                    deadline[0]["message"],
                    format!(
                        "1 event(s) not delivered to {} before the shutdown deadline: the \
                         collector did not answer in time",
                        silent.endpoint()
                    )
                );
            });
        }
    });
}
