//! `telemetry-receiver serve` as a process: werf's published payloads, sent as werf's exporter
//! sends them (protobuf, OTLP/JSON, gzip), are stored byte for byte; spans that fail are kept
//! with why and reported as OTLP's partial success; every bad input gets a clear 4xx and the
//! server serves on; what was acknowledged survives `kill -9`; concurrent clients' events are
//! stored once each; SIGTERM finishes the requests in flight.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]
#![cfg(unix)]

#[path = "../../support/receiver.rs"]
mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt as _;
use std::time::Instant;

use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use prost::Message as _;
use serde_json::Value;
use support::{
    Receiver, WATCHDOG, attribute, attributes, examples, gzip, raw, request, span, werf_spans,
};

#[test]
fn it_prints_where_it_listens_first_and_counts_on_status() {
    let receiver = Receiver::start(&[]);
    assert!(receiver.address.starts_with("127.0.0.1:"));
    assert_ne!(receiver.address, "127.0.0.1:0", "the real port");
    let status = receiver.status();
    assert_eq!(status["received"], 0);
    assert_eq!(status["versions"], serde_json::json!({}));
}

#[test]
fn werfs_published_payloads_are_stored_byte_for_byte_over_protobuf_json_and_gzip() {
    let receiver = Receiver::start(&[]);
    let examples = examples();
    assert_eq!(examples.len(), 7);
    let protobuf = request(werf_spans(&examples)).encode_to_vec();
    let json = serde_json::to_vec(&request(werf_spans(&examples))).unwrap();
    // OTLP/JSON as the specification writes it: hex IDs, 64-bit integers as strings.
    let text = String::from_utf8_lossy(&json);
    assert!(text.contains("\"traceId\":\"5b5b5b5b"), "{text}");
    assert!(text.contains("\"intValue\":\"2\""), "{text}");
    for (content_type, encoding, body) in [
        ("application/x-protobuf", None, protobuf.clone()),
        ("application/json", None, json.clone()),
        ("application/x-protobuf", Some("gzip"), gzip(&protobuf)),
        ("application/json; charset=utf-8", Some("gzip"), gzip(&json)),
    ] {
        let answer = receiver.post(content_type, encoding, &body);
        assert_eq!(
            answer.status,
            200,
            "{content_type} {encoding:?}: {}",
            answer.text()
        );
        if content_type.starts_with("application/json") {
            assert_eq!(answer.content_type, "application/json");
            assert_eq!(answer.text(), "{}");
        } else {
            assert_eq!(answer.content_type, "application/x-protobuf");
            assert_eq!(answer.export().partial_success, None);
        }
    }
    let stored = receiver.lines("events");
    assert_eq!(stored.len(), 4 * 7);
    for chunk in stored.chunks(7) {
        assert_eq!(chunk, examples.as_slice());
    }
    // Integers as numbers in OTLP/JSON are taken too.
    let numbers = text.replace("\"intValue\":\"2\"", "\"intValue\":2");
    assert_eq!(
        receiver
            .post("application/json", None, numbers.as_bytes())
            .status,
        200
    );
    assert_eq!(receiver.lines("events").len(), 5 * 7);
    assert!(receiver.lines("failed").is_empty());
    let status = receiver.status();
    assert_eq!(status["stored"], 35);
    assert_eq!(status["versions"]["BuildFinished.v2"]["stored"], 5);

    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let events = receiver.data.path().join("events");
    assert_eq!(mode(&events), 0o700);
    for file in std::fs::read_dir(&events).unwrap() {
        assert_eq!(mode(&file.unwrap().path()), 0o600);
    }
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one request of every kind of failure, checked in turn"
)]
fn spans_that_fail_are_kept_with_why_and_the_good_ones_stored() {
    let receiver = Receiver::start(&[]);
    let examples = examples();
    let started = examples
        .iter()
        .find(|line| line.contains("\"BuildStarted\""))
        .unwrap();
    let mut violating = attributes(started);
    violating[6] = attribute(
        "eventData",
        Any::StringValue(
            "{\"imagesCount\":\"three\",\"containerBackend\":\"docker\",\"inContainer\":false}"
                .into(),
        ),
    );
    let mut unknown = attributes(started);
    unknown[8] = attribute("schemaVersion", Any::IntValue(9));
    let mut missing = attributes(started);
    missing.remove(2);
    let mut not_json = attributes(started);
    not_json[7] = attribute("attributes", Any::StringValue("arch=amd64".into()));
    let spans = vec![
        span(support::SPAN_NAME, attributes(&examples[0])),
        span(support::SPAN_NAME, violating),
        span("http.request", attributes(started)),
        span(support::SPAN_NAME, unknown),
        span(support::SPAN_NAME, missing),
        span(support::SPAN_NAME, not_json),
        span(support::SPAN_NAME, attributes(&examples[1])),
    ];
    let answer = receiver.export(spans);
    assert_eq!(answer.status, 200);
    let partial = answer.export().partial_success.unwrap();
    assert_eq!(partial.rejected_spans, 4);
    assert!(
        partial.error_message.starts_with(
            "4 span(s) rejected and kept as failures; the first: BuildStarted v2 breaks its schema"
        ),
        "{}",
        partial.error_message
    );
    assert_eq!(receiver.lines("events"), examples[..2]);
    let failures = receiver.failures();
    let kinds: Vec<&str> = failures
        .iter()
        .map(|record| record["failure"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "schema_violation",
            "unknown_event_version",
            "attribute_missing",
            "not_json"
        ]
    );
    let violation = &failures[0];
    assert_eq!(violation["errors"][0]["pointer"], "/eventData/imagesCount");
    assert_eq!(violation["errors"][0]["keyword"], "type");
    assert_eq!(
        (
            violation["eventType"].as_str(),
            violation["schemaVersion"].as_i64()
        ),
        (Some("BuildStarted"), Some(2))
    );
    // What was received, to replay once the schema is fixed.
    let envelope: Value = serde_json::from_str(violation["envelope"].as_str().unwrap()).unwrap();
    assert_eq!(envelope["eventData"]["imagesCount"], "three");
    assert_eq!(
        failures[1]["message"],
        "the catalogue records no version 9 of `BuildStarted`"
    );
    assert_eq!(failures[2]["message"], "the span has no attribute `userID`");
    assert_eq!(failures[2]["attributes"]["eventType"], "BuildStarted");
    let schema: Value = serde_json::from_str(telemetry_receiver::FAILED_EVENT_SCHEMA).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    for record in &failures {
        validator.validate(record).unwrap();
    }
    let status = receiver.status();
    assert_eq!(
        (
            status["stored"].as_u64(),
            status["failed"].as_u64(),
            status["ignored"].as_u64()
        ),
        (Some(2), Some(4), Some(1))
    );
    assert_eq!(status["versions"]["BuildStarted.v9"]["failed"], 1);

    // The same over OTLP/JSON: the partial success in JSON.
    let json = serde_json::to_vec(&request(vec![
        span(support::SPAN_NAME, attributes(started)),
        span(support::SPAN_NAME, {
            let mut wrong = attributes(started);
            wrong[0] = attribute("ts", Any::StringValue("yesterday".into()));
            wrong
        }),
    ]))
    .unwrap();
    let answer = receiver.post("application/json", None, &json);
    let body: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(body["partialSuccess"]["rejectedSpans"], "1");
    assert!(
        body["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("the attribute `ts` is not an OTLP int value")
    );
}

/// A bad body: what it is, its content type and encoding, the body, the status it gets, words
/// its answer says.
type BadBody = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Vec<u8>,
    u16,
    &'static str,
);

/// Every bad body, with a 64 KiB body limit and 256 KiB inflated.
fn bad_bodies(good: &[u8]) -> Vec<BadBody> {
    vec![
        (
            "malformed protobuf",
            "application/x-protobuf",
            None,
            b"\x0a\xff\xff\xff\x0f".to_vec(),
            400,
            "not an OTLP protobuf",
        ),
        (
            "malformed JSON",
            "application/json",
            None,
            b"{\"resourceSpans\": [".to_vec(),
            400,
            "not an OTLP/JSON",
        ),
        (
            "JSON of another shape",
            "application/json",
            None,
            b"{\"resourceSpans\": 3}".to_vec(),
            400,
            "not an OTLP/JSON",
        ),
        (
            "gzip cut short",
            "application/x-protobuf",
            Some("gzip"),
            gzip(good)[..10].to_vec(),
            400,
            "not gzip, or cut short",
        ),
        (
            "not gzip said to be",
            "application/x-protobuf",
            Some("gzip"),
            good.to_vec(),
            400,
            "not gzip",
        ),
        (
            "an unsupported content type",
            "text/plain",
            None,
            good.to_vec(),
            415,
            "application/x-protobuf or application/json",
        ),
        (
            "an unsupported encoding",
            "application/x-protobuf",
            Some("br"),
            good.to_vec(),
            415,
            "gzip",
        ),
        (
            "a body over its limit",
            "application/x-protobuf",
            None,
            vec![0; 70_000],
            413,
            "over 65536 bytes",
        ),
        (
            "a gzip bomb",
            "application/x-protobuf",
            Some("gzip"),
            gzip(&vec![0; 64 << 20]),
            413,
            "inflates past 262144 bytes",
        ),
    ]
}

#[test]
fn bad_bodies_get_a_clear_4xx_and_the_server_serves_on() {
    let receiver = Receiver::start(&[
        "--max-body-bytes",
        "65536",
        "--max-inflated-bytes",
        "262144",
    ]);
    let good = request(werf_spans(&examples()[..1])).encode_to_vec();
    let cases = bad_bodies(&good);
    for (what, content_type, encoding, body, status, words) in cases {
        let answer = receiver.post(content_type, encoding, &body);
        assert_eq!(answer.status, status, "{what}: {}", answer.text());
        if content_type == "application/x-protobuf" && status != 415 {
            // A google.rpc.Status, in the request's encoding.
            let text = String::from_utf8_lossy(&answer.body);
            assert!(text.contains(words), "{what}: {text}");
        } else {
            assert!(answer.text().contains(words), "{what}: {}", answer.text());
        }
    }
    // Undecodable bodies are kept, in base64, as failures.
    let undecodable = receiver.failures();
    assert_eq!(undecodable.len(), 5);
    assert!(
        undecodable
            .iter()
            .all(|record| record["failure"] == "undecodable"
                && !record["body"].as_str().unwrap().is_empty())
    );

    assert_eq!(
        receiver.post("application/x-protobuf", None, &good).status,
        200
    );
    assert_eq!(receiver.lines("events").len(), 1);
    assert_eq!(receiver.status()["undecodable"], 5);
}

#[test]
fn other_methods_paths_and_garbage_get_a_clear_4xx() {
    let receiver = Receiver::start(&[]);
    let good = request(werf_spans(&examples()[..1])).encode_to_vec();
    let agent = support::agent();
    let mut response = agent.get(receiver.url()).call().unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers().get("allow").unwrap(), "POST");
    let _ = response.body_mut().read_to_vec();
    assert_eq!(
        agent
            .put(receiver.url())
            .send(&good[..])
            .unwrap()
            .status()
            .as_u16(),
        405
    );
    assert_eq!(
        agent
            .get(format!("http://{}/v1/logs", receiver.address))
            .call()
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        agent
            .post(format!("http://{}/status", receiver.address))
            .send(&b""[..])
            .unwrap()
            .status()
            .as_u16(),
        405
    );
    assert!(raw(&receiver.address, b"GARBAGE\r\n\r\n").starts_with("HTTP/1.1 400"));
    assert_eq!(
        receiver.post("application/x-protobuf", None, &good).status,
        200
    );
}

#[test]
fn a_stalled_client_holds_no_one_up_and_is_cut_off() {
    let receiver = Receiver::start(&["--request-timeout", "2", "--max-in-flight", "1"]);
    let good = request(werf_spans(&examples()[..1])).encode_to_vec();
    // Half a head, then nothing.
    let mut half_head = TcpStream::connect(&receiver.address).unwrap();
    half_head
        .write_all(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Ty")
        .unwrap();
    // A whole head and half the body, then nothing: a body still arriving holds none of the
    // slots that bound decoding and checking, so the one slot stays free for others.
    let mut half_body = TcpStream::connect(&receiver.address).unwrap();
    half_body
        .write_all(
            format!("POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n", good.len())
                .as_bytes(),
        )
        .unwrap();
    half_body.write_all(&good[..good.len() / 2]).unwrap();
    receiver.wait_receiving(1);
    let served = receiver.post("application/x-protobuf", None, &good);
    assert_eq!(served.status, 200, "{}", served.text());
    // Both are cut off after the request timeout; the one whose body stalled is told why.
    for (stream, expected) in [(&mut half_head, ""), (&mut half_body, "HTTP/1.1 408")] {
        let started = Instant::now();
        stream.set_read_timeout(Some(WATCHDOG)).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        assert!(started.elapsed() < WATCHDOG, "never cut off");
        assert!(
            String::from_utf8_lossy(&answer).starts_with(expected),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    }
    assert_eq!(
        receiver.status()["refused"]["requests"]["408 body_timeout"],
        1
    );
}

#[test]
fn more_exports_at_once_than_allowed_get_429_and_a_failed_store_503_each_counted() {
    let receiver = Receiver::start(&["--max-in-flight", "1"]);
    // Today's events file is a FIFO: the store's writer blocks opening it until something reads
    // it, so the first export holds the one slot for as long as the test wants.
    let fifo = receiver
        .data
        .path()
        .join(format!("events/{}.jsonl", support::today()));
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let good = request(werf_spans(&examples()[..1])).encode_to_vec();
    let url = receiver.url();
    let first = {
        let good = good.clone();
        std::thread::spawn(move || {
            support::post(
                &support::agent(),
                &url,
                "application/x-protobuf",
                None,
                &good,
            )
        })
    };
    receiver.wait_in_flight(1);
    let busy = receiver.post("application/x-protobuf", None, &good);
    assert_eq!(busy.status, 429, "{}", busy.text());
    // Reading the FIFO lets the writer go on; a FIFO cannot be synced, so nothing of the first
    // export is acknowledged as stored.
    let mut reader = std::fs::File::open(&fifo).unwrap();
    let first = first.join().unwrap();
    assert_eq!(first.status, 503, "{}", first.text());
    drop(reader.read(&mut [0; 64]));
    assert_eq!(
        receiver.status()["refused"],
        serde_json::json!({
            "requests": { "429 overloaded": 1, "503 not_stored": 1 },
            "lostSpans": 1,
            "lostRequests": 1,
        })
    );
}

#[test]
fn what_was_acknowledged_survives_kill_9() {
    let receiver = Receiver::start(&[]);
    let examples = examples();
    for _ in 0..3 {
        assert_eq!(receiver.export(werf_spans(&examples)).status, 200);
    }
    let data = receiver.kill_9();
    let stored = support::read_lines(&data.path().join("events"));
    assert_eq!(stored.len(), 21);
    assert_eq!(stored[14..], examples[..]);
}

#[test]
fn eight_clients_of_five_requests_of_fifty_events_are_each_stored_once() {
    let receiver = Receiver::start(&["--max-in-flight", "64"]);
    let template = examples()
        .into_iter()
        .find(|line| line.contains("\"StageBuildFinished\""))
        .unwrap();
    let url = receiver.url();
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let url = url.clone();
            let template = template.clone();
            std::thread::spawn(move || {
                let agent = support::agent();
                let mut sent = Vec::new();
                for request_number in 0..5 {
                    let lines: Vec<String> = (0..50)
                        .map(|index| {
                            let ts = 1_709_251_135_000_u64
                                + client * 1_000_000
                                + request_number * 1_000
                                + index;
                            template.replacen("1709251135000", &ts.to_string(), 1)
                        })
                        .collect();
                    let body = request(werf_spans(&lines)).encode_to_vec();
                    let answer = support::post(&agent, &url, "application/x-protobuf", None, &body);
                    assert_eq!(answer.status, 200, "{}", answer.text());
                    sent.extend(lines);
                }
                sent
            })
        })
        .collect();
    let mut sent: Vec<String> = clients
        .into_iter()
        .flat_map(|client| client.join().unwrap())
        .collect();
    let mut stored = receiver.lines("events");
    assert_eq!(stored.len(), 2_000);
    sent.sort();
    stored.sort();
    assert_eq!(stored, sent);
}

#[test]
fn sigterm_finishes_the_request_in_flight_then_exits_0_with_a_summary() {
    let receiver = Receiver::start(&[]);
    let good = request(werf_spans(&examples()[..2])).encode_to_vec();
    let mut in_flight = TcpStream::connect(&receiver.address).unwrap();
    in_flight
        .write_all(
            format!("POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n", good.len())
                .as_bytes(),
        )
        .unwrap();
    in_flight.write_all(&good[..10]).unwrap();
    receiver.wait_receiving(1);
    let finishing = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        in_flight.write_all(&good[10..]).unwrap();
        in_flight.set_read_timeout(Some(WATCHDOG)).unwrap();
        let mut answer = [0; 12];
        in_flight.read_exact(&mut answer).unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    });
    let (status, summary, data) = receiver.terminate();
    assert_eq!(finishing.join().unwrap(), "HTTP/1.1 200");
    assert!(status.success(), "{status:?}");
    assert!(
        summary.starts_with("stopped: received 2 event(s): 2 stored, 0 failed"),
        "{summary}"
    );
    assert!(
        summary.contains("BuildStarted.v2: received 1, stored 1, failed 0"),
        "{summary}"
    );
    assert_eq!(support::read_lines(&data.path().join("events")).len(), 2);
}
