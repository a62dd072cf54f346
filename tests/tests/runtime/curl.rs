//! The `curl` transport against a collector on 127.0.0.1: the same requests as the in-process
//! transport (werf's spans, decoded with the protobuf types), proxies as the runtime decided
//! them, every failure a diagnostic, the shutdown deadline kept, and what it refuses to do.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

#[path = "../../support/collector.rs"]
mod collector;

use std::ffi::OsString;
use std::time::Duration;

use collector::{Behaviour, Collector, UNRESOLVABLE_ENDPOINT, refused_endpoint};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use prost::Message as _;
use serde_json::Value;
use telemetry_core::otlp::Transport;
use telemetry_core::werf::{self as events, CommandExited};
use telemetry_core::{Settings, Telemetry};
use telemetry_tests::log_lines;

fn settings(endpoint: &str, transport: Transport) -> Settings {
    Settings {
        command: "werf converge".into(),
        endpoint: Some(endpoint.into()),
        shutdown_timeout: Duration::from_secs(10),
        transport: Some(transport),
        ..events::settings("2.1.0")
    }
}

/// Emits werf's four example events through `transport` to `endpoint`, with `extra` variables;
/// returns the log file's lines.
fn run(
    endpoint: &str,
    transport: Transport,
    extra: &[(&str, &str)],
    timeout: Duration,
) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let mut vars: Vec<(OsString, OsString)> = extra
        .iter()
        .map(|(name, value)| (OsString::from(name), OsString::from(value)))
        .collect();
    vars.push(("WERF_TELEMETRY_LOG_FILE".into(), log.clone().into()));
    let telemetry = Telemetry::builder(Settings {
        shutdown_timeout: timeout,
        ..settings(endpoint, transport)
    })
    .vars(vars)
    .build();
    telemetry.emit(events::examples::command_started().event);
    telemetry.emit(events::examples::stage_build_finished().event);
    telemetry.emit(CommandExited {
        exit_code: 1,
        duration_ms: 10,
    });
    telemetry.shutdown();
    log_lines(&log)
}

/// Every span's attributes as `(key, value)` text, in order, without the random IDs.
fn spans(collector: &Collector) -> Vec<Vec<(String, String)>> {
    collector
        .requests()
        .iter()
        .flat_map(|request| {
            ExportTraceServiceRequest::decode(&*request.body)
                .unwrap()
                .resource_spans
        })
        .flat_map(|resource| resource.scope_spans)
        .flat_map(|scope| scope.spans)
        .map(|span| {
            span.attributes
                .iter()
                .filter(|attribute| !matches!(attribute.key.as_str(), "ts" | "executionID"))
                .map(|attribute| {
                    let value = match attribute.value.as_ref().and_then(|v| v.value.as_ref()) {
                        Some(Any::StringValue(text)) => text.clone(),
                        Some(Any::IntValue(number)) => number.to_string(),
                        other => format!("{other:?}"),
                    };
                    (attribute.key.clone(), value)
                })
                .collect()
        })
        .collect()
}

fn diagnostics(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|line| line.get("diagnostic").is_some())
        .collect()
}

#[test]
fn curl_sends_what_the_in_process_transport_sends() {
    let by_curl = Collector::start(Behaviour::Accept);
    let in_process = Collector::start(Behaviour::Accept);
    let curl_lines = run(
        &by_curl.endpoint(),
        Transport::Curl,
        &[],
        Duration::from_secs(10),
    );
    let lines = run(
        &in_process.endpoint(),
        Transport::Rustls,
        &[],
        Duration::from_secs(10),
    );
    assert!(diagnostics(&curl_lines).is_empty(), "{curl_lines:?}");
    assert!(diagnostics(&lines).is_empty(), "{lines:?}");
    let (sent_by_curl, sent) = (spans(&by_curl), spans(&in_process));
    assert_eq!(sent_by_curl.len(), 3);
    assert_eq!(sent_by_curl, sent);
    for request in by_curl.requests() {
        assert_eq!(request.start_line, "POST /v1/traces HTTP/1.1");
        assert_eq!(
            request.header("content-type"),
            Some("application/x-protobuf")
        );
        assert_eq!(
            request.header("user-agent"),
            Some(concat!("telemetry-core/", env!("CARGO_PKG_VERSION")))
        );
        assert_eq!(request.header("expect"), None);
    }
}

#[test]
fn curl_goes_through_the_proxy_the_runtime_decided_on() {
    // The proxy refuses to tunnel; what matters is that the request went through it.
    let proxy = Collector::start(Behaviour::Status(403));
    let lines = run(
        "https://telemetry.example.com/v1/traces",
        Transport::Curl,
        &[("HTTPS_PROXY", &proxy.address())],
        Duration::from_secs(10),
    );
    let requests = proxy.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].start_line,
        "CONNECT telemetry.example.com:443 HTTP/1.1"
    );
    let diagnostics = diagnostics(&lines);
    assert_eq!(diagnostics.len(), 1, "{lines:?}");
    assert_eq!(diagnostics[0]["diagnostic"], "delivery");

    // Exempted by NO_PROXY: straight to the collector, never to the proxy.
    let collector = Collector::start(Behaviour::Accept);
    let unused = Collector::start(Behaviour::Accept);
    let lines = run(
        &collector.endpoint(),
        Transport::Curl,
        &[("HTTP_PROXY", &unused.address()), ("NO_PROXY", "*")],
        Duration::from_secs(10),
    );
    assert!(unused.requests().is_empty());
    assert_eq!(spans(&collector).len(), 3, "{lines:?}");
}

#[test]
fn every_failure_of_curl_becomes_one_diagnostic_line() {
    let server_error = Collector::start(Behaviour::Status(500));
    let garbage = Collector::start(Behaviour::Garbage);
    for (endpoint, expected) in [
        (server_error.endpoint(), "not accepted by"),
        (garbage.endpoint(), "not delivered to"),
        (refused_endpoint(), "not delivered to"),
        (UNRESOLVABLE_ENDPOINT.to_owned(), "not delivered to"),
    ] {
        let lines = run(&endpoint, Transport::Curl, &[], Duration::from_secs(10));
        let diagnostics = diagnostics(&lines);
        assert_eq!(diagnostics.len(), 1, "{endpoint}: {lines:?}");
        assert_eq!(diagnostics[0]["diagnostic"], "delivery");
        let message = diagnostics[0]["message"].as_str().unwrap();
        assert!(message.starts_with("3 event(s) "), "{message}");
        assert!(
            message.contains(expected) && message.contains(&endpoint),
            "{message}"
        );
        assert_eq!(lines.len(), 4, "the log file still gets the three events");
    }
}

#[test]
fn a_collector_that_never_answers_costs_curl_no_more_than_the_deadline() {
    let silent = Collector::start(Behaviour::Silent);
    let lines = run(
        &silent.endpoint(),
        Transport::Curl,
        &[],
        Duration::from_millis(1500),
    );
    let diagnostics = diagnostics(&lines);
    assert_eq!(diagnostics.len(), 1, "{lines:?}");
    let message = diagnostics[0]["message"].as_str().unwrap();
    assert!(
        message.contains("before the shutdown deadline"),
        "{message}"
    );
}

#[test]
fn curl_never_gets_an_endpoints_password_on_its_command_line() {
    let lines = run(
        "https://user:secret@telemetry.example.com/v1/traces",
        Transport::Curl,
        &[],
        Duration::from_secs(10),
    );
    let diagnostics = diagnostics(&lines);
    assert_eq!(diagnostics.len(), 1, "{lines:?}");
    assert_eq!(diagnostics[0]["diagnostic"], "configuration");
    let message = diagnostics[0]["message"].as_str().unwrap();
    assert!(message.contains("command line"), "{message}");
    assert!(!message.contains("secret"), "{message}");
}

#[test]
fn without_a_transport_nothing_is_sent_and_a_diagnostic_says_why() {
    let collector = Collector::start(Behaviour::Accept);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let telemetry = Telemetry::builder(Settings {
        transport: None,
        ..settings(&collector.endpoint(), Transport::Curl)
    })
    .vars([("WERF_TELEMETRY_LOG_FILE".into(), log.clone().into())])
    .build();
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 0,
    });
    telemetry.shutdown();
    let lines = log_lines(&log);
    assert!(collector.requests().is_empty());
    assert_eq!(lines[0]["diagnostic"], "configuration");
    assert!(
        lines[0]["message"]
            .as_str()
            .unwrap()
            .contains("built without a transport"),
        "{lines:?}"
    );
    assert_eq!(lines[1]["eventType"], "CommandExited");
}
