//! The demo CLI, run as a real process: telemetry never changes what the program prints or how
//! it exits, the events are what werf would send, and processes sharing a log file never
//! interleave its lines.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

#[path = "../../support/collector.rs"]
mod collector;
#[path = "../../support/demo.rs"]
mod support;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use collector::{Behaviour, Collector, UNRESOLVABLE_ENDPOINT, refused_endpoint};
use support::{SHUTDOWN_TIMEOUT, demo, log_lines, run};

#[test]
fn telemetry_never_changes_what_the_program_prints_or_how_it_exits() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let log = log.to_str().unwrap();
    let unwritable = dir.path().join("missing/telemetry.jsonl");
    let unwritable = unwritable.to_str().unwrap();
    let huge = "x".repeat(100_000);
    let configurations: &[&[(&str, &str)]] = &[
        &[("WERF_TELEMETRY", "0")],
        &[],
        &[("WERF_TELEMETRY_LOG_FILE", log)],
        &[("WERF_TELEMETRY_LOG_FILE", unwritable)],
        &[("WERF_TELEMETRY_LOG_FILE", dir.path().to_str().unwrap())],
        &[("DO_NOT_TRACK", "1"), ("WERF_TELEMETRY_LOG_FILE", log)],
        &[
            ("WERF_TELEMETRY_LOG_FILE", log),
            ("WERF_TELEMETRY_EXTRA_ATTRIBUTE_X", "malformed"),
            ("WERF_TELEMETRY_EXTRA_ATTRIBUTE_Y", &huge),
            ("TRDL_USE_WERF_GROUP_CHANNEL", &huge),
            ("GITLAB_CI", "true"),
        ],
    ];
    for args in [
        &["build", "--images", "2", "--stages", "3"][..],
        &["converge", "--fail"],
        &["deploy"],
    ] {
        let baseline = run(args, configurations[0]);
        for vars in &configurations[1..] {
            let output = run(args, vars);
            assert_eq!(
                output.status.code(),
                baseline.status.code(),
                "{args:?} {vars:?}"
            );
            assert_eq!(
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&baseline.stdout),
                "{args:?}"
            );
            assert_eq!(
                String::from_utf8_lossy(&output.stderr),
                String::from_utf8_lossy(&baseline.stderr),
                "{args:?}"
            );
        }
    }
    assert_eq!(run(&["deploy"], &[]).status.code(), Some(2));
}

#[test]
fn a_build_reports_what_werf_would() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let output = run(
        &[
            "build",
            "--images",
            "2",
            "--stages",
            "1",
            "--stages=3",
            "--fail",
        ],
        &[
            ("WERF_TELEMETRY_LOG_FILE", log.to_str().unwrap()),
            ("WERF_REPO", "registry.example/app"),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let lines = log_lines(&log);
    let types: Vec<&str> = lines
        .iter()
        .map(|line| line["eventType"].as_str().unwrap())
        .collect();
    let image = [
        "StageBuildFinished",
        "StageBuildFinished",
        "StageBuildFinished",
        "ImageBuildFinished",
    ];
    let expected: Vec<&str> = ["CommandStarted", "BuildStarted"]
        .into_iter()
        .chain(image)
        .chain(image)
        .chain(["BuildFinished", "CommandExited"])
        .collect();
    assert_eq!(types, expected);

    // Names, never values; given twice counts twice; `WERF_REPO` is `asEnv`.
    assert_eq!(
        lines[0]["eventData"]["commandOptions"],
        serde_json::json!([
            { "name": "images", "asCli": true, "asEnv": false, "count": 1 },
            { "name": "stages", "asCli": true, "asEnv": false, "count": 2 },
            { "name": "repo", "asCli": false, "asEnv": true, "count": 1 },
            { "name": "fail", "asCli": true, "asEnv": false, "count": 1 },
        ])
    );
    assert!(
        !std::fs::read_to_string(&log)
            .unwrap()
            .contains("registry.example")
    );
    assert_eq!(lines[1]["eventData"]["imagesCount"], 2);
    assert_eq!(lines[2]["eventData"]["image"], "image-1");
    assert_eq!(lines[2]["eventData"]["baseImageSource"], "repo");
    assert_eq!(lines[3]["eventData"]["baseImageSource"], "");
    assert_eq!(lines[10]["eventData"]["success"], false);
    assert_eq!(lines[11]["eventData"]["exitCode"], 1);
    assert!(
        lines[11]["eventData"]["durationMs"].as_u64().unwrap() >= 6,
        "six stages of at least 1 ms"
    );
    for line in &lines {
        assert_eq!(line["command"], "werf build");
        assert_eq!(line["executionID"], lines[0]["executionID"]);
        assert_eq!(line["schemaVersion"], 2);
    }
}

#[test]
fn a_command_without_options_sends_no_options_key() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let output = run(
        &["converge"],
        &[("WERF_TELEMETRY_LOG_FILE", log.to_str().unwrap())],
    );
    assert!(output.status.success());
    let lines = log_lines(&log);
    assert_eq!(lines[0]["eventData"], serde_json::json!({}));
    assert_eq!(lines.last().unwrap()["command"], "werf converge");
}

#[test]
fn disabled_telemetry_writes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    for off in ["0", "false", "NO", "off"] {
        let output = run(
            &["build"],
            &[
                ("WERF_TELEMETRY", off),
                ("WERF_TELEMETRY_LOG_FILE", log.to_str().unwrap()),
            ],
        );
        assert!(output.status.success());
        assert!(!log.exists(), "WERF_TELEMETRY={off}");
    }
}

#[test]
fn processes_sharing_a_log_file_never_interleave_lines() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(demo())
                .args(["build", "--images", "5", "--stages", "4"])
                .env_clear()
                .env("WERF_TELEMETRY_LOG_FILE", &log)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("the demo starts")
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let lines = log_lines(&log);
    // Each run: CommandStarted, BuildStarted, 5 × (4 stages + image), BuildFinished, CommandExited.
    assert_eq!(lines.len(), 4 * (2 + 5 * 5 + 2));
    let mut runs: Vec<&str> = lines
        .iter()
        .map(|line| line["executionID"].as_str().unwrap())
        .collect();
    runs.sort_unstable();
    runs.dedup();
    assert_eq!(runs.len(), 4);
}

/// Runs the demo, timed.
fn timed(args: &[&str], vars: &[(&str, &str)]) -> (Output, Duration) {
    let started = Instant::now();
    let output = run(args, vars);
    (output, started.elapsed())
}

/// Runs the demo against `endpoint` and without telemetry: the run with telemetry may take at
/// most the shutdown deadline (250 ms) longer, and must print exactly the same.
fn assert_costs_at_most_the_deadline(endpoint: &str) {
    let args = ["build", "--images", "2", "--stages", "2"];
    let deadline = Duration::from_millis(250);
    // Generous for loaded CI machines; `cargo bench` measures the real cost.
    let slack = Duration::from_secs(1);
    // werf's own deadline: here it is what is tested.
    let werfs = (SHUTDOWN_TIMEOUT, "250");
    let (baseline, baseline_time) = timed(&args, &[("WERF_TELEMETRY", "0"), werfs]);
    let (output, time) = timed(&args, &[("WERF_TELEMETRY_TRACE_URL", endpoint), werfs]);
    assert!(
        time <= baseline_time + deadline + slack,
        "{time:?} against {baseline_time:?} without telemetry"
    );
    assert_eq!(output.status.code(), baseline.status.code());
    assert_eq!(output.stdout, baseline.stdout, "nothing extra on stdout");
    assert_eq!(output.stderr, baseline.stderr, "nothing extra on stderr");
}

#[test]
fn connection_refused_costs_at_most_the_deadline() {
    assert_costs_at_most_the_deadline(&refused_endpoint());
}

#[test]
fn a_server_that_never_answers_costs_at_most_the_deadline() {
    let silent = Collector::start(Behaviour::Silent);
    assert_costs_at_most_the_deadline(&silent.endpoint());
    assert!(!silent.requests().is_empty(), "the server was reached");
}

#[test]
fn a_server_that_answers_slowly_costs_at_most_the_deadline() {
    let slow = Collector::start(Behaviour::Slow(Duration::from_secs(3)));
    assert_costs_at_most_the_deadline(&slow.endpoint());
    assert!(!slow.requests().is_empty(), "the server was reached");
}

#[test]
fn http_500_costs_at_most_the_deadline() {
    let failing = Collector::start(Behaviour::Status(500));
    assert_costs_at_most_the_deadline(&failing.endpoint());
}

#[test]
fn a_garbage_response_costs_at_most_the_deadline() {
    let garbage = Collector::start(Behaviour::Garbage);
    assert_costs_at_most_the_deadline(&garbage.endpoint());
}

#[test]
fn an_unresolvable_host_costs_at_most_the_deadline() {
    assert_costs_at_most_the_deadline(UNRESOLVABLE_ENDPOINT);
}

#[test]
fn a_healthy_collector_receives_every_event_of_the_run() {
    let collector = Collector::start(Behaviour::Accept);
    let output = run(
        &["build", "--images", "2", "--stages", "3"],
        &[("WERF_TELEMETRY_TRACE_URL", &collector.endpoint())],
    );
    assert!(output.status.success());
    let received: usize = collector
        .requests()
        .iter()
        .map(collector::Request::span_count)
        .sum();
    // CommandStarted, BuildStarted, 2 × (3 stages + image), BuildFinished, CommandExited.
    assert_eq!(received, 2 + 2 * 4 + 2);
}

#[test]
fn a_closed_output_pipe_ends_the_output_quietly() {
    let collector = Collector::start(Behaviour::Accept);
    let config = tempfile::tempdir().unwrap();
    for args in [
        &["telemetry", "status"][..],
        &["telemetry", "reset"],
        &["build", "--images", "3"],
        &["converge", "--stages", "1"],
    ] {
        // The reader is gone before the demo writes a byte: every write finds the pipe closed.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = Command::new(demo())
            .args(args)
            .env_clear()
            .env("WERF_TELEMETRY_CONFIG_DIR", config.path())
            .env("WERF_TELEMETRY_TRACE_URL", collector.endpoint())
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "",
            "{args:?}: nothing on standard error, from the demo or the runtime's threads"
        );
        assert!(output.status.success(), "{args:?}: {:?}", output.status);
    }
    // The builds ran to the end all the same, their events delivered.
    let received: usize = collector
        .requests()
        .iter()
        .map(collector::Request::span_count)
        .sum();
    assert_eq!(received, (2 + 3 * 4 + 2) + (2 + 2 + 2));
}
