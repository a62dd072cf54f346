//! The demo CLI, werf's catalog through the real runtime, into the receiver: every line the
//! receiver stores is byte for byte the line of the demo's own log file, and the live check
//! passes on the demo and fails, with the pointer, against a schema the demo breaks.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]
#![cfg(unix)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use telemetry_receiver::LiveCheck;

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// Runs the demo with `args`, a log file, a configuration folder of its own and `endpoint`.
fn demo(args: &[&str], log: &Path, config: &Path, endpoint: &str) {
    let output = Command::new(telemetry_tests::demo())
        .args(args)
        .env_clear()
        .env("WERF_TELEMETRY_LOG_FILE", log)
        .env("WERF_TELEMETRY_CONFIG_DIR", config)
        .env("WERF_TELEMETRY_TRACE_URL", endpoint)
        .env("WERF_REPO", "registry.example/app")
        .output()
        .unwrap();
    assert!(
        output.status.success() || args.contains(&"--fail"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_stored_line_is_the_demos_own_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let check = LiveCheck::start(repository().join("schemas")).unwrap();
    let log = dir.path().join("telemetry.jsonl");
    for args in [
        &["build", "--images", "2", "--stages", "3"][..],
        &[
            "converge",
            "--repo",
            "registry.example/other",
            "--stages",
            "1",
        ],
        &["build", "--fail"],
    ] {
        demo(args, &log, dir.path(), &check.endpoint());
    }
    let report = check.finish().unwrap();
    report.assert_clean();
    let logged: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter(|line| !line.contains("\"diagnostic\""))
        .map(str::to_owned)
        .collect();
    assert_eq!(logged.len(), 26, "{logged:#?}");
    assert_eq!(report.counts.stored, 26);
    assert_eq!(report.counts.versions["StageBuildFinished.v2"].stored, 10);
    // The live check's store is gone with it; the receiver's files are checked by a receiver
    // of this test's own.
    let data = tempfile::tempdir().unwrap();
    let running = telemetry_receiver::Running::start(
        &repository().join("schemas"),
        data.path(),
        &telemetry_receiver::Options {
            listen: ([127, 0, 0, 1], 0).into(),
            ..telemetry_receiver::Options::default()
        },
    )
    .unwrap();
    let second_log = dir.path().join("second.jsonl");
    demo(
        &["build", "--images", "3"],
        &second_log,
        dir.path(),
        &running.endpoint(),
    );
    running.stop();
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(data.path().join("events")).unwrap() {
        stored.extend(
            std::fs::read_to_string(entry.unwrap().path())
                .unwrap()
                .lines()
                .map(str::to_owned),
        );
    }
    let logged: Vec<String> = std::fs::read_to_string(&second_log)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(stored.len(), 16);
    assert_eq!(stored, logged, "byte for byte, in order");
}

#[test]
fn the_live_check_fails_with_the_pointer_against_a_schema_the_demo_breaks() {
    // werf's schemas, but stages may take no time at all.
    let schemas = tempfile::tempdir().unwrap();
    for name in ["catalogue.json", "telemetry.schema.json"] {
        std::fs::copy(
            repository().join("schemas").join(name),
            schemas.path().join(name),
        )
        .unwrap();
    }
    let path = schemas.path().join("telemetry.schema.json");
    let mut stream: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    stream["$defs"]["StageBuildFinishedV2Data"]["properties"]["durationMs"]["maximum"] = 0.into();
    std::fs::write(&path, serde_json::to_string(&stream).unwrap()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let check = LiveCheck::start(schemas.path()).unwrap();
    demo(
        &["build", "--stages", "2"],
        &dir.path().join("log.jsonl"),
        dir.path(),
        &check.endpoint(),
    );
    let report = check.finish().unwrap();
    assert!(!report.is_clean());
    assert_eq!(report.failures.len(), 2, "{report}");
    for failure in &report.failures {
        assert_eq!(failure.event_type, "StageBuildFinished");
        assert_eq!(failure.errors[0].pointer, "/eventData/durationMs");
        assert_eq!(failure.errors[0].keyword, "maximum");
    }
    assert_eq!(report.counts.stored, 5, "{report}");
    assert!(
        report.to_string().contains("at /eventData/durationMs:"),
        "{report}"
    );
}
