//! `telemetry-receiver check`: a command run against a receiver on a free loopback port (here
//! `telemetry-receiver replay`, sending what a program's log file holds), or a log file read
//! offline; the report counts events per version, lists every failure with its pointer, and
//! what was never seen; the exit status says whether the check passed. And `LiveCheck`, the same
//! from a Rust test.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]
#![cfg(unix)]

#[path = "../../support/receiver.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use support::{SPAN_NAME, examples, schemas};

fn receiver(args: &[&str]) -> Output {
    Command::new(telemetry_tests::receiver())
        .args(args)
        .output()
        .unwrap()
}

/// `telemetry-receiver check` of `command`, which reads its endpoint from `X`.
fn check_running(command: &str) -> Output {
    receiver(&[
        "check",
        "--schemas",
        schemas().to_str().unwrap(),
        "--url-var",
        "X",
        "--",
        command,
    ])
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A log file of `lines`, with a diagnostic line among them.
fn log_file(dir: &Path, lines: &[String]) -> String {
    let path = dir.join("telemetry.jsonl");
    let mut text = String::from(
        "{\"diagnostic\":\"delivery\",\"executionID\":\"2f75d020-684e-4224-9013-35e95e1b7721\",\"message\":\"x\",\"ts\":1}\n",
    );
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The examples with `BuildStarted`'s `imagesCount` a string.
fn broken_examples() -> Vec<String> {
    examples()
        .into_iter()
        .map(|line| {
            line.replace(
                "\"imagesCount\":3,\"containerBackend\"",
                "\"imagesCount\":\"3\",\"containerBackend\"",
            )
        })
        .collect()
}

#[test]
fn a_command_that_sends_what_its_schemas_accept_passes() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_file(dir.path(), &examples());
    let report = dir.path().join("report.json");
    let binary = telemetry_tests::receiver();
    let output = receiver(&[
        "check",
        "--schemas",
        schemas().to_str().unwrap(),
        "--url-var",
        "WERF_TELEMETRY_TRACE_URL",
        "--report",
        report.to_str().unwrap(),
        "--",
        binary.to_str().unwrap(),
        "replay",
        "--url-var",
        "WERF_TELEMETRY_TRACE_URL",
        "--span-name",
        SPAN_NAME,
        &log,
    ]);
    let text = stdout(&output);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.starts_with("sent 7 envelope(s) (1 line(s) left out); the receiver rejected 0\n"),
        "{text}"
    );
    assert!(
        text.contains("received 7 event(s): 7 stored, 0 failed"),
        "{text}"
    );
    assert!(
        text.contains("coverage: every event version was seen"),
        "{text}"
    );
    assert!(text.ends_with("result: clean\n"), "{text}");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert_eq!(json["clean"], true);
    assert_eq!(
        json["counts"]["versions"]["StageBuildFinished.v2"]["stored"],
        1
    );
    assert_eq!(json["commandExitCode"], 0);
    // Fields no example carries: werf's examples set `groupChannel` only in `UnshallowFailed`'s,
    // `ciName` only in the GitLab CI run's.
    assert_eq!(
        json["unseenFields"]["BuildFinished.v2"],
        serde_json::json!(["attributes.ciName", "attributes.groupChannel"])
    );
    assert_eq!(
        json["unseenFields"]["CommandExited.v2"],
        serde_json::json!(["attributes.groupChannel"])
    );
    assert!(json["unseenFields"].get("UnshallowFailed.v2").is_none());
}

#[test]
fn a_command_whose_events_break_the_schema_fails_with_the_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_file(dir.path(), &broken_examples()[..3]);
    let binary = telemetry_tests::receiver();
    let output = receiver(&[
        "check",
        "--schemas",
        schemas().to_str().unwrap(),
        "--url-var",
        "TARGET",
        "--",
        binary.to_str().unwrap(),
        "replay",
        "--url-var",
        "TARGET",
        "--span-name",
        SPAN_NAME,
        &log,
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("the receiver rejected 1"), "{text}");
    assert!(
        text.contains("failed: BuildStarted.v2: BuildStarted v2 breaks its schema in 1 place(s)"),
        "{text}"
    );
    assert!(
        text.contains("  at /eventData/imagesCount: \"3\" is not of type \"integer\" (type)"),
        "{text}"
    );
    assert!(text.contains("never seen: "), "{text}");
    assert!(
        text.ends_with("result: FAILED: the command exited 1; 1 event(s) failed\n"),
        "{text}"
    );
}

#[test]
fn a_command_that_sends_nothing_or_fails_does_not_pass() {
    let output = check_running("true");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).ends_with("result: FAILED: no event arrived\n"),
        "{}",
        stdout(&output)
    );
    let output = check_running("false");
    assert!(
        stdout(&output).contains("the command exited 1"),
        "{}",
        stdout(&output)
    );
    let output = check_running("/no/such/program");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot run /no/such/program"));
}

/// `telemetry-receiver check ARGS... -- sh -c SCRIPT`, `X` the endpoint.
fn check_script(args: &[&str], script: &str) -> Output {
    let schemas = schemas();
    let mut all = vec![
        "check",
        "--schemas",
        schemas.to_str().unwrap(),
        "--url-var",
        "X",
    ];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--", "sh", "-c", script]);
    receiver(&all)
}

#[test]
fn expected_exit_codes_and_runs_that_send_nothing_by_design_can_pass() {
    // `fd -q` exits 1 when nothing matches; `--version` sends no event.
    let output = check_script(&["--expect-exit", "1", "--allow-no-events"], "exit 1");
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(
        stdout(&output).ends_with(
            "result: clean
"
        ),
        "{}",
        stdout(&output)
    );
    // Codes accumulate; one not listed still fails, and so does 0 once others are listed.
    let output = check_script(
        &[
            "--expect-exit",
            "1",
            "--expect-exit",
            "2",
            "--allow-no-events",
        ],
        "exit 3",
    );
    assert!(
        stdout(&output).contains("the command exited 3"),
        "{}",
        stdout(&output)
    );
    let output = check_script(&["--expect-exit", "1", "--allow-no-events"], "exit 0");
    assert!(
        stdout(&output).contains("the command exited 0"),
        "{}",
        stdout(&output)
    );
    // Without the flag, no event still fails the check.
    let output = check_script(&["--expect-exit", "1"], "exit 1");
    assert!(
        stdout(&output).ends_with("result: FAILED: no event arrived\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_log_file_is_checked_offline_diagnostics_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let good = log_file(dir.path(), &examples());
    let output = receiver(&["check", "--schemas", schemas().to_str().unwrap(), &good]);
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(stdout(&output).contains("received 7 event(s): 7 stored, 0 failed"));

    let broken_dir = tempfile::tempdir().unwrap();
    let mut lines = broken_examples();
    lines.push("{not json".into());
    let broken = log_file(broken_dir.path(), &lines);
    let output = receiver(&["check", "--schemas", schemas().to_str().unwrap(), &broken]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("at /eventData/imagesCount"), "{text}");
    assert!(
        text.contains("failed: (none): the line is not JSON"),
        "{text}"
    );

    let missing = receiver(&["check", "--schemas", "/no/such/folder", &good]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("cannot read /no/such/folder/telemetry.schema.json")
    );
}

#[test]
fn the_live_check_from_rust_reports_counts_failures_and_coverage() {
    let check = telemetry_receiver::LiveCheck::start(schemas()).unwrap();
    let mut lines = examples();
    lines.truncate(2);
    lines.push(broken_examples()[1].clone());
    let replayed = telemetry_receiver::replay(
        &check.endpoint(),
        SPAN_NAME,
        lines.iter().map(String::as_str),
    )
    .unwrap();
    assert_eq!((replayed.sent, replayed.rejected), (3, 1));
    let report = check.finish().unwrap();
    assert!(!report.is_clean());
    assert_eq!(report.problems(), ["1 event(s) failed"]);
    assert_eq!(report.counts.stored, 2);
    assert_eq!(
        report.failures[0].errors[0].pointer,
        "/eventData/imagesCount"
    );
    assert_eq!(
        report.unseen_versions.len(),
        5,
        "{:?}",
        report.unseen_versions
    );
    let panicked = std::panic::catch_unwind(|| report.assert_clean()).unwrap_err();
    let message = panicked.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("the live check failed:\nreceived 3 event(s)"),
        "{message}"
    );
}

/// The most memory `telemetry-receiver check FILE` held resident, in bytes, polling its
/// high-water mark (which only grows) until it exits.
fn peak_memory_of_checking(file: &Path) -> u64 {
    let mut child = Command::new(telemetry_tests::receiver())
        .args(["check", "--schemas", schemas().to_str().unwrap()])
        .arg(file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            && let Some(line) = status.lines().find(|line| line.starts_with("VmHWM:"))
        {
            let kib: u64 = line[6..]
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .unwrap();
            peak = peak.max(kib * 1024);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    peak
}

#[test]
#[cfg(target_os = "linux")]
fn a_log_file_is_checked_a_line_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, copies: usize| {
        let path = dir.path().join(name);
        let mut text = String::new();
        for line in examples()
            .iter()
            .chain(&broken_examples())
            .cycle()
            .take(copies)
        {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(&path, text).unwrap();
        path
    };
    let small = write("small.jsonl", 20_000);
    let large = write("large.jsonl", 100_000);
    assert!(std::fs::metadata(&large).unwrap().len() > 40 << 20);
    let (small, large) = (
        peak_memory_of_checking(&small),
        peak_memory_of_checking(&large),
    );
    eprintln!(
        "peak: {} MiB for 20,000 lines, {} MiB for 100,000",
        small >> 20,
        large >> 20
    );
    assert!(large < small + (10 << 20), "{large} bytes against {small}");
    // The report counts every failure, and keeps the first thousand.
    let output = receiver(&[
        "check",
        "--schemas",
        schemas().to_str().unwrap(),
        dir.path().join("small.jsonl").to_str().unwrap(),
    ]);
    let stdout = stdout(&output);
    let failed = std::fs::read_to_string(dir.path().join("small.jsonl"))
        .unwrap()
        .matches("\"imagesCount\":\"3\"")
        .count();
    assert!(failed > 1000, "{failed}");
    assert!(stdout.contains(&format!(
        "\n… and {} more failure(s), left out\n",
        failed - 1000
    )));
    assert!(stdout.ends_with(&format!("result: FAILED: {failed} event(s) failed\n")));
}
