//! What werf's released client really sends (built as its code builds it: no `ci` outside CI,
//! `ci` and `ciName` inside, `baseImageSource` values beyond its page, forty extra attributes
//! with long values, batches of 512 spans) is accepted and stored byte for byte; a request the
//! receiver refuses is answered so that its client sees why, counted by status and reason, and
//! fails the live check.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]
#![cfg(unix)]

#[path = "../../support/receiver.rs"]
mod support;
#[path = "../../support/werf_client.rs"]
mod werf;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::Command;

use prost::Message as _;
use support::{Receiver, WATCHDOG, gzip, schemas};
use werf::{Run, forty_extra_attributes, go_string, request, seven_events};

/// The runs werf's operators see: outside CI (most traffic, no `ci` key), Jenkins without
/// `CI` set, GitLab CI, no git origin, a trdl channel, and forty extra attributes.
fn runs() -> Vec<(&'static str, Run)> {
    let origin = Some("590dba0ea49212652f94e1cb1dbf3cc673d1dd964dea5d35239afcbbb3d38690");
    vec![
        (
            "outside CI",
            Run {
                project_id: origin,
                ..Run::default()
            },
        ),
        (
            "Jenkins without CI",
            Run {
                ci_name: Some("jenkins"),
                project_id: origin,
                ..Run::default()
            },
        ),
        (
            "GitLab CI",
            Run {
                ci: true,
                ci_name: Some("gitlab"),
                project_id: origin,
                ..Run::default()
            },
        ),
        (
            "a repository without origin",
            Run {
                project_id: Some(
                    "f1ae2a75ed1f99721f02ef869e2fb3d4df102fdd73e2d00b424a222f9c1ea69c",
                ),
                ..Run::default()
            },
        ),
        (
            "not in a repository, from a trdl channel",
            Run {
                group_channel: Some("stable"),
                ..Run::default()
            },
        ),
        (
            "forty extra attributes in CI",
            Run {
                ci: true,
                ci_name: Some("github-actions"),
                extra: forty_extra_attributes(),
                project_id: origin,
                ..Run::default()
            },
        ),
    ]
}

/// The events of one run: werf's seven, and a stage taken from `--cache-repo`.
fn events_of_a_run() -> Vec<(&'static str, String)> {
    let mut events = seven_events();
    events.push((
        "StageBuildFinished",
        r#"{"image":"backend","stage":"install","durationMs":1,"fromCache":true,"baseImageSource":"cache-repo","baseImagePulled":false}"#.into(),
    ));
    events
}

#[test]
fn every_event_werfs_released_client_sends_is_accepted_and_stored_byte_for_byte() {
    let receiver = Receiver::start(&[]);
    let mut expected = Vec::new();
    for (index, (what, run)) in runs().into_iter().enumerate() {
        let mut spans = Vec::new();
        for (offset, (event_type, event_data)) in events_of_a_run().into_iter().enumerate() {
            let ts = 1_764_806_400_000 + i64::try_from(index * 100 + offset).unwrap();
            expected.push(run.envelope(ts, event_type, &event_data));
            spans.push(run.span(ts, event_type, &event_data, expected.len() as u64));
        }
        // werf's exporter sends gzip.
        let answer = receiver.post(
            "application/x-protobuf",
            Some("gzip"),
            &gzip(&request(spans).encode_to_vec()),
        );
        assert_eq!(answer.status, 200, "{what}: {}", answer.text());
        assert_eq!(answer.export().partial_success, None, "{what}");
    }
    assert_eq!(receiver.lines("events"), expected);
    assert!(receiver.lines("failed").is_empty());
    let status = receiver.status();
    assert_eq!(status["stored"], expected.len() as u64);
    assert_eq!(status["failed"], 0);
    assert_eq!(status["refused"]["requests"], serde_json::json!({}));
    // What was stored is what werf built: its key order and Go's escapes kept.
    let outside_ci = &expected[0];
    assert!(
        outside_ci.contains(
            r#""attributes":{"arch":"amd64","extra":{},"os":"linux","version":"v2.77.1"}"#
        ),
        "{outside_ci}"
    );
    assert!(
        expected
            .iter()
            .any(|line| line.contains(r"\u003cremote\u003e \u0026"))
    );
}

#[test]
fn a_batch_of_512_spans_of_11_kb_each_is_taken_whole() {
    let receiver = Receiver::start(&[]);
    let run = Run {
        ci: true,
        ci_name: Some("gitlab"),
        extra: (0..32)
            .map(|index| (format!("attribute_{index:02}"), "v".repeat(320)))
            .collect(),
        ..Run::default()
    };
    let events = seven_events();
    let spans: Vec<_> = (0..512_usize)
        .map(|index| {
            let (event_type, event_data) = &events[index % events.len()];
            run.span(1_764_806_400_000, event_type, event_data, index as u64)
        })
        .collect();
    let body = request(spans).encode_to_vec();
    let per_span = body.len() / 512;
    assert!(
        (10_000..13_000).contains(&per_span),
        "{per_span} bytes a span"
    );
    // Uncompressed, the most a batch of werf's weighs.
    let answer = receiver.post("application/x-protobuf", None, &body);
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(receiver.lines("events").len(), 512);
    assert_eq!(receiver.status()["stored"], 512);
}

/// Sends `body` as an export on a connection of its own, writing all of it before reading, as
/// OpenTelemetry's exporters do; returns the answer's status line and headers.
fn write_all_then_read(address: &str, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(WATCHDOG)).unwrap();
    stream.set_write_timeout(Some(WATCHDOG)).unwrap();
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-protobuf\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream
        .write_all(body)
        .expect("the receiver reads the whole body before it answers");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// A werf export of about `bytes` bytes, in spans of at most 64 KiB each.
fn export_of(bytes: usize) -> Vec<u8> {
    let (event_type, event_data) = &seven_events()[1];
    let spans = (0..bytes.div_ceil(64 << 10))
        .map(|index| {
            let run = Run {
                extra: [("big".to_owned(), "b".repeat(bytes.min(64 << 10)))].into(),
                ..Run::default()
            };
            run.span(1_764_806_400_000, event_type, event_data, index as u64)
        })
        .collect();
    request(spans).encode_to_vec()
}

#[test]
fn a_request_over_the_limit_gets_its_413_seen_and_counted() {
    let receiver = Receiver::start(&["--max-body-bytes", "1000000"]);
    let answer = write_all_then_read(&receiver.address, &export_of(3_000_000));
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(answer.contains("over 1000000 bytes"), "{answer}");
    let status = receiver.status();
    assert_eq!(
        status["refused"],
        serde_json::json!({
            "requests": { "413 body_too_large": 1 },
            "lostSpans": 0,
            "lostRequests": 1,
        })
    );
    // The server serves on.
    let answer = write_all_then_read(&receiver.address, &export_of(1_000));
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    let (_, summary, _) = receiver.terminate();
    assert!(
        summary.contains("1 request(s) refused (413 body_too_large: 1)"),
        "{summary}"
    );
}

#[test]
fn werfs_largest_requests_fit_the_default_limit_and_a_larger_one_is_refused() {
    let receiver = Receiver::start(&[]);
    // 32 extra attributes of werf's longest, on 512 spans: about 5.7 MB (the reference's
    // figure), far below the Collector's default of 20 MiB, which this receiver takes too.
    let answer = write_all_then_read(&receiver.address, &export_of(19 << 20));
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert_eq!(receiver.status()["stored"], 304);
    let answer = write_all_then_read(&receiver.address, &export_of(21 << 20));
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
}

#[test]
fn a_refused_request_fails_the_live_check_with_the_count() {
    let live = telemetry_receiver::LiveCheck::with_options(
        &schemas(),
        &telemetry_receiver::Options {
            listen: "127.0.0.1:0".parse().unwrap(),
            limits: telemetry_receiver::Limits::with_body_bytes(1_000_000),
            ..telemetry_receiver::Options::default()
        },
    )
    .unwrap();
    let address = live
        .endpoint()
        .trim_start_matches("http://")
        .trim_end_matches("/v1/traces")
        .to_owned();
    let run = Run::default();
    let valid: Vec<_> = seven_events()
        .iter()
        .enumerate()
        .map(|(index, (event_type, data))| run.span(1, event_type, data, index as u64))
        .collect();
    let answer = write_all_then_read(&address, &request(valid).encode_to_vec());
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    let answer = write_all_then_read(&address, &export_of(2_000_000));
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    let report = live.finish().unwrap();
    assert_eq!(report.counts.stored, 7);
    assert!(report.failures.is_empty());
    assert!(!report.is_clean());
    assert_eq!(
        report.problems(),
        ["1 request(s) refused (1 × 413 body_too_large), their events lost"]
    );
    assert!(report.to_string().ends_with(
        "result: FAILED: 1 request(s) refused (1 × 413 body_too_large), their events lost\n"
    ));
}

#[test]
fn check_of_werfs_events_outside_ci_passes_and_a_refused_request_fails_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = Run::default();
    let lines: Vec<String> = seven_events()
        .iter()
        .map(|(event_type, data)| run.envelope(1_764_806_400_000, event_type, data))
        .collect();
    let log = dir.path().join("werf.jsonl");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let check = |log: &std::path::Path| {
        Command::new(telemetry_tests::receiver())
            .args(["check", "--schemas", schemas().to_str().unwrap()])
            .args([
                "--url-var",
                "X",
                "--",
                telemetry_tests::receiver().to_str().unwrap(),
            ])
            .args(["replay", "--url-var", "X", "--span-name", werf::SPAN_NAME])
            .arg(log)
            .output()
            .unwrap()
    };
    let output = check(&log);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("received 7 event(s): 7 stored, 0 failed"),
        "{stdout}"
    );
    assert!(stdout.ends_with("result: clean\n"), "{stdout}");

    // One envelope past the live check's body limit (20 MiB): its request is refused.
    let huge = run.envelope(
        1_764_806_400_000,
        "CommandExited",
        &format!(
            r#"{{"exitCode":0,"durationMs":1,"pad":{}}}"#,
            go_string(&"p".repeat(21 << 20))
        ),
    );
    std::fs::write(&log, huge + "\n").unwrap();
    let output = check(&log);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("1 request(s) refused (1 × 413 body_too_large), their events lost"),
        "{stdout}"
    );
}

#[test]
fn a_schema_violation_keeps_the_spans_attributes_and_never_repeats_a_long_value_whole() {
    let receiver = Receiver::start(&[]);
    let run = Run::default();
    let long = "9".repeat(10_000);
    let data = format!(r#"{{"exitCode":"{long}","durationMs":1}}"#);
    let body = request(vec![run.span(1, "CommandExited", &data, 1)]).encode_to_vec();
    let answer = receiver.post("application/x-protobuf", None, &body);
    assert_eq!(answer.status, 200);
    assert!(answer.body.len() < 4096, "{} bytes back", answer.body.len());
    let failures = receiver.failures();
    assert_eq!(failures.len(), 1);
    let record = &failures[0];
    assert_eq!(record["failure"], "schema_violation");
    assert_eq!(record["attributes"]["eventType"], "CommandExited");
    assert_eq!(record["attributes"]["eventData"], data);
    let error = &record["errors"][0];
    assert_eq!(error["pointer"], "/eventData/exitCode");
    let message = error["message"].as_str().unwrap();
    assert!(message.chars().count() < 600, "{message}");
    assert!(message.contains("characters in all)"), "{message}");
    assert!(record["message"].as_str().unwrap().len() < 1200);
}
