//! Runs the demo CLI as a real process, with exactly the environment a test gives it, and never
//! longer than a watchdog allows: a test of something that must not hang fails instead.

#![allow(dead_code, reason = "each test crate uses part of it")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "log_schema.rs"]
mod log_schema;
use log_schema::log_line_validator;

/// How long a run of the demo may take before the test calls it hung: far beyond anything the
/// demo needs, even on a loaded machine.
const WATCHDOG: Duration = Duration::from_mins(1);

/// The demo's binary: `cargo test` builds the package's examples next to its tests.
pub(crate) fn demo() -> PathBuf {
    let test = std::env::current_exe().expect("the test's own path");
    let profile = test
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    profile
        .join("examples")
        .join(format!("demo{}", std::env::consts::EXE_SUFFIX))
}

/// Runs the demo with exactly `vars` as its environment.
pub(crate) fn run(args: &[&str], vars: &[(&str, &str)]) -> Output {
    run_in(None, args, vars)
}

/// Runs the demo in `dir` (the current directory when `None`) with exactly `vars` as its
/// environment; panics when it outlives the watchdog.
pub(crate) fn run_in(dir: Option<&Path>, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(demo());
    command
        .args(args)
        .env_clear()
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let mut child = command.spawn().expect("the demo runs");
    let started = Instant::now();
    while child
        .try_wait()
        .expect("the demo can be waited for")
        .is_none()
    {
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            panic!("the demo hung: {args:?} {vars:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().expect("the demo's output")
}

/// The lines of a log file, parsed, each checked against the repository's committed log-line
/// schema (the demo is werf, whose schemas these are).
pub(crate) fn log_lines(path: &Path) -> Vec<Value> {
    let lines: Vec<Value> = std::fs::read_to_string(path)
        .expect("the log file exists")
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect();
    let validator = log_line_validator();
    for line in &lines {
        if let Err(error) = validator.validate(line) {
            panic!("{line}: {error} at {}", error.instance_path());
        }
    }
    lines
}

/// The diagnostic lines of a log, as `(kind, message)`.
pub(crate) fn diagnostics(lines: &[Value]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter_map(|line| {
            Some((
                line.get("diagnostic")?.as_str()?.to_owned(),
                line.get("message")?.as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// How many event lines (not diagnostics) a log has.
pub(crate) fn event_count(lines: &[Value]) -> usize {
    lines
        .iter()
        .filter(|line| line.get("diagnostic").is_none())
        .count()
}
