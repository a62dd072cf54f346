//! What a program pays for what it does not use: with nowhere to send (no endpoint, log file or
//! sink) and no notice to show, nothing is read or started.
//!
//! This binary holds one test on purpose: it counts the process's threads, and a neighbouring
//! test running at the same time would start its own.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

use telemetry_core::werf::CommandExited;
use telemetry_core::{Settings, Telemetry};
use telemetry_tests::runtime_settings as settings;

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
