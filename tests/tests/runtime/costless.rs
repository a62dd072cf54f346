//! What a program pays for what it does not use: with nowhere to send (no endpoint, log file or
//! sink) and no notice to show, nothing is read or started; without projects, no repository is
//! read and no `projectID` sent.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

use serde_json::Value;
use telemetry_core::werf::CommandExited;
use telemetry_core::{Settings, Telemetry};
use telemetry_tests::log_lines as lines;

use telemetry_tests::{path_vars as vars, runtime_settings as settings};

/// The threads of this process now.
#[cfg(target_os = "linux")]
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
#[cfg(target_os = "linux")]
fn with_nowhere_to_send_and_no_notice_nothing_is_read_or_started() {
    let before = threads();
    // The project's directory is one the test cannot read: were it read, it would say so.
    let settings = Settings {
        project_dir: Some("/nonexistent/project".into()),
        ..settings("nowhere")
    };
    let telemetry = Telemetry::builder(settings).vars(Vec::new()).build();
    assert!(telemetry.status().enabled);
    assert_eq!(telemetry.execution_id(), None);
    assert_eq!(telemetry.notice(), None);
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 1,
    });
    assert_eq!(threads(), before);
    telemetry.shutdown();
}

#[test]
fn a_program_without_projects_sends_no_project_id_and_reads_no_repository() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    // This repository has an origin: with `project_id` on, its ID would be sent.
    let settings = Settings {
        project_id: false,
        ..settings("noproject")
    };
    let telemetry = Telemetry::builder(settings)
        .vars(vars(&[("MYTOOL_TELEMETRY_LOG_FILE", &log)]))
        .build();
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 1,
    });
    telemetry.shutdown();
    let events: Vec<Value> = lines(&log)
        .into_iter()
        .filter(|line| line.get("diagnostic").is_none())
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["projectID"], "");
}
