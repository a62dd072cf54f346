//! Runs the demo CLI as a real process, with exactly the environment a test gives it, and never
//! longer than a watchdog allows: a test of something that must not hang fails instead.

#![allow(dead_code, reason = "each test crate uses part of it")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "log_schema.rs"]
mod log_schema;
#[cfg(unix)]
#[path = "pty.rs"]
mod pty;
use log_schema::log_line_validator;

/// How long a run of the demo may take before the test calls it hung: far beyond anything the
/// demo needs, even on a loaded machine.
const WATCHDOG: Duration = Duration::from_mins(1);

/// The demo's binary, built once for the test run.
pub(crate) fn demo() -> PathBuf {
    telemetry_tests::demo()
}

/// Runs the demo with exactly `vars` as its environment.
pub(crate) fn run(args: &[&str], vars: &[(&str, &str)]) -> Output {
    run_in(None, args, vars)
}

/// The demo, with exactly `vars` as its environment, and a configuration directory of its own
/// when `vars` name none (returned: it is removed when dropped, so keep it for the run); never
/// the user's own (without `HOME`, the platform's directory is the account's home).
fn command(
    dir: Option<&Path>,
    args: &[&str],
    vars: &[(&str, &str)],
) -> (Command, Option<tempfile::TempDir>) {
    let mut command = Command::new(demo());
    command.args(args).env_clear();
    // Time enough to deliver every event on a loaded machine, unless the deadline is what the
    // test is about (it then names its own): shutdown returns as soon as all is delivered, so
    // this costs nothing when nothing blocks.
    if !vars.iter().any(|(name, _)| *name == SHUTDOWN_TIMEOUT) {
        command.env(SHUTDOWN_TIMEOUT, GENEROUS_SHUTDOWN_MS);
    }
    command.envs(vars.iter().copied());
    let mut scratch = None;
    if !vars.iter().any(|(name, _)| *name == CONFIG_DIR) {
        let config_dir = tempfile::tempdir().expect("a temporary configuration directory");
        command.env(CONFIG_DIR, config_dir.path());
        scratch = Some(config_dir);
    }
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    (command, scratch)
}

/// The variable naming the telemetry configuration directory.
pub(crate) const CONFIG_DIR: &str = "WERF_TELEMETRY_CONFIG_DIR";

/// The demo's shutdown deadline in milliseconds, for tests (werf's 250 ms when unset).
pub(crate) const SHUTDOWN_TIMEOUT: &str = "DEMO_SHUTDOWN_TIMEOUT_MS";

/// The deadline a test's demo gets unless it names one.
const GENEROUS_SHUTDOWN_MS: &str = "20000";

/// Runs the demo in `dir` (the current directory when `None`) with exactly `vars` as its
/// environment; panics when it outlives the watchdog.
pub(crate) fn run_in(dir: Option<&Path>, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let (mut command, _config_dir) = command(dir, args, vars);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = command.spawn().expect("the demo runs");
    drop(command);
    wait(child, args, vars)
}

/// Runs the demo with a terminal as its standard error (a pseudo-terminal this test holds),
/// as when someone runs it by hand; returns its output, with what it wrote to the terminal as
/// `stderr` (line ends as written, without the terminal's carriage returns).
#[cfg(unix)]
pub(crate) fn run_at_terminal(args: &[&str], vars: &[(&str, &str)]) -> Output {
    AtTerminal::start(args, vars).wait()
}

/// The demo, running with a terminal as its standard error, as [`run_at_terminal`] runs it: a
/// handle to interrupt, pause or resume it meanwhile.
#[cfg(unix)]
pub(crate) struct AtTerminal {
    child: std::process::Child,
    reader: std::thread::JoinHandle<Vec<u8>>,
    what: String,
    _config_dir: Option<tempfile::TempDir>,
}

#[cfg(unix)]
impl AtTerminal {
    /// Starts the demo with exactly `vars` as its environment and a pseudo-terminal as its
    /// standard error.
    pub(crate) fn start(args: &[&str], vars: &[(&str, &str)]) -> Self {
        let pty = pty::Pty::open();
        let (mut command, config_dir) = command(None, args, vars);
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::from(pty.terminal()));
        let child = command.spawn().expect("the demo runs");
        // The child holds the terminal now: when it exits, reading the other side ends.
        drop(command);
        let reader = pty.shown();
        AtTerminal {
            child,
            reader,
            what: format!("{args:?} {vars:?}"),
            _config_dir: config_dir,
        }
    }

    /// Sends the demo `signal`: `INT` as Ctrl-C does, `STOP` and `CONT` to pause and resume it.
    pub(crate) fn signal(&self, signal: rustix::process::Signal) {
        rustix::process::kill_process(rustix::process::Pid::from_child(&self.child), signal)
            .expect("the demo can be signalled");
    }

    /// Waits for the demo to exit; its output, as [`run_at_terminal`] returns it.
    pub(crate) fn wait(self) -> Output {
        let AtTerminal {
            child,
            reader,
            what,
            _config_dir,
        } = self;
        let mut output = wait(child, &[&what], &[]);
        let written = reader.join().expect("the terminal was read");
        output.stderr = String::from_utf8_lossy(&written)
            .replace("\r\n", "\n")
            .into_bytes();
        output
    }
}

/// Waits until `done` holds, looking every few milliseconds; panics, saying `what` was awaited,
/// when it does not before the watchdog.
pub(crate) fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < WATCHDOG, "waited too long for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits for the demo; panics when it outlives the watchdog.
fn wait(mut child: std::process::Child, args: &[&str], vars: &[(&str, &str)]) -> Output {
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
