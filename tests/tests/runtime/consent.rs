//! The user's decision holds under interruption, concurrency and other users' files, at process
//! level with the demo: a first run interrupted at a terminal leaves the notice due; runs that
//! overlap a first run never send before a notice was shown; a hand-written opt-out fails
//! closed; files in a directory others can write, or of another user, decide nothing; a
//! relative configuration directory is refused; `reset` forgets all it can; a slow project
//! costs no events; the log file is never one of telemetry's own files.

#![cfg(unix)]
#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

#[path = "../../support/collector.rs"]
mod collector;
#[path = "../../support/demo.rs"]
mod support;

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use collector::{Behaviour, Collector, Request};
use rustix::process::Signal;
use support::{
    AtTerminal, CONFIG_DIR, diagnostics, event_count, log_lines, run, run_at_terminal, run_in,
    wait_until,
};

/// The first words of the demo's notice.
const NOTICE: &str = "werf sends usage telemetry to its developers";

/// A long build: long enough to be interrupted or paused while it runs.
const LONG_BUILD: &[&str] = &["build", "--images", "400", "--stages", "10"];

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn spans(collector: &Collector) -> usize {
    collector.requests().iter().map(Request::span_count).sum()
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Whether the log file at `log` holds an event yet (it may be mid-line: no parsing).
fn has_logged_an_event(log: &Path) -> bool {
    std::fs::read_to_string(log).is_ok_and(|text| text.contains("\"eventType\""))
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A user who never ran the demo, and a loopback collector: runs at a terminal, one of them
/// with a log file, that it may be seen under way.
struct FirstRuns {
    _home: tempfile::TempDir,
    config: PathBuf,
    log: PathBuf,
    collector: Collector,
    endpoint: String,
}

impl FirstRuns {
    fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        let collector = Collector::start(Behaviour::Accept);
        FirstRuns {
            config: home.path().join("config"),
            log: home.path().join("long.jsonl"),
            endpoint: collector.endpoint(),
            collector,
            _home: home,
        }
    }

    /// The environment of every run.
    fn vars(&self) -> Vec<(&str, &str)> {
        vec![
            (CONFIG_DIR, path(&self.config)),
            ("WERF_TELEMETRY_TRACE_URL", self.endpoint.as_str()),
        ]
    }

    /// A long build with the log file, once it is under way: it has logged an event, and
    /// events are logged only after the run decided, the notice due in it.
    fn long_run_under_way(&self) -> AtTerminal {
        let mut vars = self.vars();
        vars.push(("WERF_TELEMETRY_LOG_FILE", path(&self.log)));
        let running = AtTerminal::start(LONG_BUILD, &vars);
        wait_until("the long run to log an event", || {
            has_logged_an_event(&self.log)
        });
        running
    }
}

#[test]
fn a_first_run_interrupted_at_a_terminal_leaves_the_notice_due_and_sends_nothing() {
    let scene = FirstRuns::new();
    let (config, collector, vars) = (&scene.config, &scene.collector, scene.vars());
    let first = scene.long_run_under_way();
    first.signal(Signal::INT);
    let interrupted = first.wait();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&interrupted.status),
        Some(libc::SIGINT)
    );
    assert!(!stderr(&interrupted).contains(NOTICE), "never printed");
    assert!(!config.join("notice-shown-v1").exists(), "not marked shown");
    assert_eq!(spans(collector), 0);

    // The next run shows it, and sends nothing either; the one after sends.
    let second = run_at_terminal(&["build"], &vars);
    assert!(stderr(&second).contains(NOTICE), "{}", stderr(&second));
    assert_eq!(spans(collector), 0);
    let third = run_at_terminal(&["build"], &vars);
    assert!(!stderr(&third).contains(NOTICE));
    assert!(spans(collector) > 0);
}

#[test]
fn a_run_that_began_before_the_notice_was_shown_sends_nothing_whatever_other_runs_do() {
    let scene = FirstRuns::new();
    let (config, collector, vars) = (&scene.config, &scene.collector, scene.vars());
    let running = scene.long_run_under_way();
    // Paused, the long run is sure to outlast a whole second run, which shows the notice.
    running.signal(Signal::STOP);
    let second = run_at_terminal(&["build"], &vars);
    assert!(stderr(&second).contains(NOTICE));
    assert!(config.join("notice-shown-v1").exists());
    running.signal(Signal::CONT);
    let first = running.wait();
    assert!(first.status.success());
    // It began with the notice due: it shows it too, and neither run sent anything.
    assert!(stderr(&first).contains(NOTICE), "{}", stderr(&first));
    assert_eq!(spans(collector), 0);
    run_at_terminal(&["build"], &vars);
    assert!(spans(collector) > 0, "a later run sends");
}

#[test]
fn a_choice_that_is_not_enables_own_record_is_an_opt_out() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let choice = config.join("choice");
    let log = home.path().join("telemetry.jsonl");
    let vars = [
        (CONFIG_DIR, path(&config)),
        ("WERF_TELEMETRY_LOG_FILE", path(&log)),
    ];
    let doubts: [&[u8]; 10] = [
        b"disable\n",
        b"DISABLED\n",
        b"off\n",
        b"0\n",
        b"no\n",
        b"\xef\xbb\xbfdisabled\n",
        b"disabled\0",
        b"enabled\0",
        b"\x89garbage\xff",
        b"",
    ];
    for text in doubts {
        std::fs::write(&choice, text).unwrap();
        let _ = std::fs::remove_file(&log);
        assert!(run(&["build"], &vars).status.success());
        let lines = log_lines(&log);
        assert_eq!(event_count(&lines), 0, "{text:?}");
        assert!(
            diagnostics(&lines)
                .iter()
                .any(|(_, message)| message.contains("doubt counts as an opt-out")),
            "{text:?}: {lines:?}"
        );
        let status = stdout(&run(&["telemetry", "status"], &vars));
        assert!(
            status.starts_with("telemetry: off, decided by doubt: "),
            "{text:?}: {status}"
        );
    }
    for text in ["enabled\n", "  enabled \r\n", "disabled\n"] {
        std::fs::write(&choice, text).unwrap();
        let _ = std::fs::remove_file(&log);
        assert!(run(&["build"], &vars).status.success());
        let sent = log.exists() && event_count(&log_lines(&log)) > 0;
        assert_eq!(sent, text.contains("enabled"), "{text:?}");
    }
}

#[test]
fn files_in_a_directory_others_can_write_decide_nothing() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("shared");
    std::fs::create_dir(&config).unwrap();
    // Another user's plants: an ID to be sent as the user's, and a choice to turn telemetry on.
    std::fs::write(
        config.join("installation-id"),
        "11111111-1111-4111-8111-111111111111\n",
    )
    .unwrap();
    std::fs::write(config.join("choice"), "enabled\n").unwrap();
    set_mode(&config, 0o777);
    let log = home.path().join("telemetry.jsonl");
    let vars = [
        (CONFIG_DIR, path(&config)),
        ("WERF_TELEMETRY_LOG_FILE", path(&log)),
        ("WERF_TELEMETRY", "1"),
    ];
    assert!(run(&["build"], &vars).status.success());
    let lines = log_lines(&log);
    assert_eq!(event_count(&lines), 0, "doubt counts as an opt-out");
    assert!(
        diagnostics(&lines)
            .iter()
            .any(|(_, message)| message.contains("others can write to it (mode 777)")),
        "{lines:?}"
    );
    let status = stdout(&run(&["telemetry", "status"], &vars));
    assert!(
        status.starts_with("telemetry: off, decided by doubt"),
        "{status}"
    );
    assert!(status.contains("installation ID: none ("), "{status}");
    assert!(
        status.contains("is not trusted: others can write to it"),
        "{status}"
    );
    // Nothing is written there either.
    let enable = run(&["telemetry", "enable"], &vars);
    assert_eq!(enable.status.code(), Some(1));
    assert!(
        stderr(&enable).contains("nothing was changed"),
        "{}",
        stderr(&enable)
    );
    assert_eq!(
        std::fs::read_to_string(config.join("choice")).unwrap(),
        "enabled\n"
    );

    // In a private directory, a file others can write is not trusted either.
    set_mode(&config, 0o700);
    set_mode(&config.join("choice"), 0o666);
    let _ = std::fs::remove_file(&log);
    assert!(run(&["build"], &vars).status.success());
    assert_eq!(event_count(&log_lines(&log)), 0);
    set_mode(&config.join("choice"), 0o600);
    set_mode(&config.join("installation-id"), 0o622);
    let _ = std::fs::remove_file(&log);
    assert!(run(&["build"], &vars).status.success());
    let lines = log_lines(&log);
    assert!(event_count(&lines) > 0, "a private `enable`: on");
    assert!(
        lines
            .iter()
            .filter(|line| line.get("eventType").is_some())
            .all(|line| line["userID"] == ""),
        "the planted ID is never sent"
    );
}

#[test]
fn another_users_files_decide_nothing() {
    // Only root can give a file away; elsewhere the mode tests above stand for this one.
    if rustix::process::geteuid().as_raw() != 0 {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::write(config.join("choice"), "enabled\n").unwrap();
    let nobody = 65_534;
    std::os::unix::fs::chown(config.join("choice"), Some(nobody), None).unwrap();
    let vars = [(CONFIG_DIR, path(&config)), ("WERF_TELEMETRY", "1")];
    let status = stdout(&run(&["telemetry", "status"], &vars));
    assert!(
        status.starts_with("telemetry: off, decided by doubt"),
        "{status}"
    );
    assert!(
        status.contains(&format!("it belongs to user {nobody}")),
        "{status}"
    );
    std::os::unix::fs::chown(config.join("choice"), Some(0), None).unwrap();
    std::os::unix::fs::chown(&config, Some(nobody), None).unwrap();
    let status = stdout(&run(&["telemetry", "status"], &vars));
    assert!(
        status.contains("is not trusted: it belongs to user"),
        "{status}"
    );
}

#[test]
fn a_relative_configuration_directory_is_refused_and_nothing_is_written() {
    let work = tempfile::tempdir().unwrap();
    let log = work.path().join("telemetry.jsonl");
    let vars = [
        (CONFIG_DIR, "relative/config"),
        ("WERF_TELEMETRY_LOG_FILE", path(&log)),
        ("HOME", path(work.path())),
    ];
    for action in ["enable", "disable", "reset"] {
        let output = run_in(Some(work.path()), &["telemetry", action], &vars);
        assert_eq!(output.status.code(), Some(1), "{action}");
        assert!(
            stderr(&output)
                .contains("WERF_TELEMETRY_CONFIG_DIR=relative/config is not an absolute path"),
            "{action}: {}",
            stderr(&output)
        );
    }
    let status = run_in(Some(work.path()), &["telemetry", "status"], &vars);
    assert!(status.status.success());
    assert!(stdout(&status).contains("configuration directory: none known"));
    let run = run_in(Some(work.path()), &["build"], &vars);
    assert!(run.status.success());
    let lines = log_lines(&log);
    assert!(event_count(&lines) > 0);
    assert!(
        diagnostics(&lines)
            .iter()
            .any(|(_, message)| message
                .contains("is not an absolute path, so telemetry keeps no file")),
        "{lines:?}"
    );
    // No file anywhere: not under the relative path, not in the platform's directory.
    let entries: Vec<PathBuf> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(entries, [log]);
}

#[test]
fn reset_attempts_every_file_and_fails_when_one_remains() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::create_dir(config.join("installation-id")).unwrap();
    std::fs::write(config.join("hash-key"), format!("{}\n", "ab".repeat(32))).unwrap();
    let vars = [(CONFIG_DIR, path(&config))];
    let reset = run(&["telemetry", "reset"], &vars);
    assert_eq!(reset.status.code(), Some(1));
    let said = stderr(&reset);
    assert!(said.contains("cannot forget the installation ID"), "{said}");
    assert!(
        said.contains("forgot the key hashed fields are made with"),
        "{said}"
    );
    assert!(!config.join("hash-key").exists(), "the secret is gone");
    std::fs::remove_dir(config.join("installation-id")).unwrap();
    assert!(run(&["telemetry", "reset"], &vars).status.success());
}

#[test]
fn a_slow_project_costs_no_events() {
    let home = tempfile::tempdir().unwrap();
    let project = home.path().join("project");
    let git = project.join(".git");
    std::fs::create_dir_all(git.join("refs")).unwrap();
    std::fs::create_dir_all(git.join("objects")).unwrap();
    std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
    // Five megabytes of includes, each a file git's reader must open and parse.
    let mut config = String::from("[core]\n\trepositoryformatversion = 0\n");
    let chunk = format!("[alias]\n{}", "\tx = status\n".repeat(20_000));
    for index in 0..20 {
        let name = format!("include-{index}");
        std::fs::write(git.join(&name), &chunk).unwrap();
        let _ = writeln!(config, "[include]\n\tpath = {name}");
    }
    config.push_str("[remote \"origin\"]\n\turl = https://github.com/user/repository.git\n");
    std::fs::write(git.join("config"), config).unwrap();
    let log = home.path().join("dry.jsonl");
    let vars = [
        ("WERF_TELEMETRY", "local"),
        ("WERF_TELEMETRY_LOG_FILE", path(&log)),
        ("HOME", path(home.path())),
    ];
    let output = run_in(Some(&project), &["build", "--images", "2"], &vars);
    assert!(output.status.success());
    let lines = log_lines(&log);
    assert_eq!(event_count(&lines), 12, "{lines:?}");
    // Identified in time or not: either the project's ID, or none and a diagnostic that says so.
    let ids: Vec<&str> = lines
        .iter()
        .filter(|line| line.get("eventType").is_some())
        .map(|line| line["projectID"].as_str().unwrap())
        .collect();
    let late = diagnostics(&lines)
        .iter()
        .any(|(_, message)| message.contains("the project was not identified in time"));
    assert!(
        ids.iter().all(|id| *id == ids[0]) && (ids[0].is_empty() == late),
        "{ids:?} {late}"
    );
}

#[test]
fn the_log_file_is_never_one_of_telemetrys_own_files() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::write(config.join("choice"), "enabled\n").unwrap();
    let elsewhere = home.path().join("choice-elsewhere.jsonl");
    std::fs::hard_link(config.join("choice"), &elsewhere).unwrap();
    let linked = home.path().join("linked");
    std::os::unix::fs::symlink(&config, &linked).unwrap();
    for log in [
        config.join("choice"),
        config.join("installation-id"),
        config.join("notice-shown-v1"),
        config.join(".choice.tmp"),
        elsewhere.clone(),
        linked.join("choice"),
    ] {
        let vars = [
            (CONFIG_DIR, path(&config)),
            ("WERF_TELEMETRY_LOG_FILE", path(&log)),
        ];
        assert!(run(&["build"], &vars).status.success(), "{}", log.display());
        assert_eq!(
            std::fs::read_to_string(config.join("choice")).unwrap(),
            "enabled\n",
            "{}",
            log.display()
        );
    }
    assert!(!config.join("notice-shown-v1").exists());
    assert!(!config.join(".choice.tmp").exists());
    let id = std::fs::read_to_string(config.join("installation-id")).unwrap();
    assert_eq!(id.trim().len(), 36, "{id:?}");
    // A file of the user's own in the folder is no file of telemetry's: it may be the log, run
    // after run.
    let log = config.join("telemetry.jsonl");
    let vars = [
        (CONFIG_DIR, path(&config)),
        ("WERF_TELEMETRY_LOG_FILE", path(&log)),
    ];
    assert!(run(&["build"], &vars).status.success());
    let first = event_count(&log_lines(&log));
    assert!(first > 0);
    assert!(run(&["build"], &vars).status.success());
    assert_eq!(event_count(&log_lines(&log)), 2 * first);
}

#[test]
fn a_dangling_symlink_among_telemetrys_files_is_named_as_one() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::os::unix::fs::symlink(home.path().join("nowhere"), config.join("installation-id"))
        .unwrap();
    let log = home.path().join("telemetry.jsonl");
    let vars = [
        (CONFIG_DIR, path(&config)),
        ("WERF_TELEMETRY_LOG_FILE", path(&log)),
    ];
    assert!(run(&["build"], &vars).status.success());
    let problems = diagnostics(&log_lines(&log));
    assert!(
        problems
            .iter()
            .any(|(_, message)| message.contains("installation-id")
                && message.contains("symbolic link")
                && !message.contains("File exists")),
        "{problems:?}"
    );
    assert!(
        !home.path().join("nowhere").exists(),
        "nothing written through it"
    );
}
