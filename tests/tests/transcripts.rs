//! The README's transcripts are what a terminal shows: every fenced block with `$ ` prompts is run
//! in order, as a newcomer would at a fresh terminal (a pseudo-terminal), in a work directory,
//! home and configuration directory of its own, from an empty environment, and each command's
//! output must be what the README shows, IDs, times, platforms and paths aside.
//!
//! `demo` is the demo's binary, and so is the README's `cargo run ... --example demo --`; an
//! `export` holds for the commands after it, in its block and those that follow.

#![cfg(unix)]
#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

#[path = "../support/pty.rs"]
mod pty;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pty::Pty;

/// What the README's commands start with when they run the demo through cargo.
const CARGO_DEMO: &str = "cargo run -q -p telemetry-core --features werf,clap --example demo --";

/// The configuration directory the README pins, and the repository path it shows.
const README_CONFIG_DIR: &str = "/tmp/werf-config";
const README_REPOSITORY: &str = "/path/to/this/repository";

/// How long one command may take before the test calls it hung.
const WATCHDOG: Duration = Duration::from_mins(1);

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// One command of a transcript and what the README shows it print.
#[derive(Debug)]
struct Step {
    command: String,
    expected: String,
}

/// Every transcript of `readme`, in order: the fenced blocks with `$ ` prompts.
fn transcripts(readme: &str) -> Vec<Vec<Step>> {
    let mut transcripts = Vec::new();
    let mut block: Option<Vec<Step>> = None;
    for line in readme.lines() {
        if line.starts_with("```") {
            match block.take() {
                Some(steps) if !steps.is_empty() => transcripts.push(steps),
                Some(_) => {}
                None => block = Some(Vec::new()),
            }
            continue;
        }
        let Some(steps) = &mut block else {
            continue;
        };
        if let Some(command) = line.strip_prefix("$ ") {
            // A trailing comment is the README's, not the shell's.
            let command = command.split("  #").next().unwrap_or(command).trim();
            steps.push(Step {
                command: command.to_owned(),
                expected: String::new(),
            });
        } else if let Some(step) = steps.last_mut() {
            step.expected.push_str(line);
            step.expected.push('\n');
        }
    }
    transcripts
}

/// Runs `command` with `sh` in `dir` with exactly `vars`, its standard input, output and error
/// a pseudo-terminal; returns what the terminal showed, line ends as written.
fn at_a_terminal(command: &str, dir: &Path, vars: &[(String, String)]) -> String {
    let pty = Pty::open();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env_clear()
        .envs(vars.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::from(pty.terminal()))
        .stdout(Stdio::from(pty.terminal()))
        .stderr(Stdio::from(pty.terminal()))
        .spawn()
        .unwrap();
    let reader = pty.shown();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            panic!("`{command}` hung");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    String::from_utf8_lossy(&reader.join().unwrap()).replace("\r\n", "\n")
}

/// `text` with what differs from run to run or machine to machine replaced by placeholders:
/// UUIDs, `"ts"` and the platform of an envelope, `projectID`s, and the temporary paths.
fn normalised(text: &str, paths: &[(&str, &str)]) -> String {
    let mut text = text.to_owned();
    for (actual, shown) in paths {
        text = text.replace(actual, shown);
    }
    let text = replace_runs(&text, is_uuid_at, "<uuid>");
    let mut text = text;
    for key in ["\"ts\":", "\"projectID\":", "\"arch\":", "\"os\":"] {
        text = replace_values(&text, key);
    }
    text
}

/// Whether a UUID starts at `index` of `bytes`, and its length.
fn is_uuid_at(bytes: &[u8], index: usize) -> Option<usize> {
    let candidate = bytes.get(index..index + 36)?;
    let shape_holds = candidate.iter().enumerate().all(|(at, byte)| match at {
        8 | 13 | 18 | 23 => *byte == b'-',
        _ => byte.is_ascii_hexdigit(),
    });
    shape_holds.then_some(36)
}

/// `text` with every run that `found` finds replaced by `placeholder`.
fn replace_runs(
    text: &str,
    found: impl Fn(&[u8], usize) -> Option<usize>,
    placeholder: &str,
) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if let Some(length) = found(bytes, index) {
            out.extend_from_slice(placeholder.as_bytes());
            index += length;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// `text` with the JSON value after each `key` (a number, or a string without escapes) replaced
/// by `<value>`.
fn replace_values(text: &str, key: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(key) {
        let (before, after) = rest.split_at(at + key.len());
        out.push_str(before);
        out.push_str("<value>");
        let end = if let Some(string) = after.strip_prefix('"') {
            string.find('"').map_or(after.len(), |close| close + 2)
        } else {
            after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len())
        };
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_placeholders_hide_only_what_differs_between_runs() {
    let line = r#"{"ts":1795614624689,"executionID":"82d67606-52d7-4c15-a8f8-62abb04be509","projectID":"","attributes":{"arch":"amd64","os":"linux","version":"dev"}} /tmp/x/config"#;
    assert_eq!(
        normalised(line, &[("/tmp/x/config", "/tmp/werf-config")]),
        r#"{"ts":<value>,"executionID":"<uuid>","projectID":<value>,"attributes":{"arch":<value>,"os":<value>,"version":"dev"}} /tmp/werf-config"#
    );
    assert_eq!(
        normalised("not-a-uuid 82d67606", &[]),
        "not-a-uuid 82d67606"
    );
}

#[test]
fn the_readmes_transcripts_are_what_a_terminal_shows() {
    let readme = std::fs::read_to_string(repository().join("README.md")).unwrap();
    let transcripts = transcripts(&readme);
    assert!(transcripts.len() >= 2, "{transcripts:#?}");

    let scratch = tempfile::tempdir().unwrap();
    let (home, work, bin) = (
        scratch.path().join("home"),
        scratch.path().join("work"),
        scratch.path().join("bin"),
    );
    let config = scratch.path().join("werf-config");
    for dir in [&home, &work, &bin] {
        std::fs::create_dir(dir).unwrap();
    }
    let demo = bin.join("demo");
    std::fs::write(
        &demo,
        format!(
            "#!/bin/sh\nexec '{}' \"$@\"\n",
            telemetry_tests::demo().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&demo, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config_text = config.to_str().unwrap().to_owned();
    let repository_text = repository().to_str().unwrap().to_owned();
    let paths = [
        (config_text.as_str(), README_CONFIG_DIR),
        (repository_text.as_str(), README_REPOSITORY),
    ];

    let mut vars = vec![
        (
            "PATH".to_owned(),
            format!("{}:/usr/bin:/bin", bin.display()),
        ),
        ("HOME".to_owned(), home.to_str().unwrap().to_owned()),
        // Not what a terminal shows: time enough for every event on a loaded machine.
        ("DEMO_SHUTDOWN_TIMEOUT_MS".to_owned(), "20000".to_owned()),
    ];
    for step in transcripts.iter().flatten() {
        let command = step
            .command
            .replace(CARGO_DEMO, "demo")
            .replace(README_CONFIG_DIR, &config_text);
        if let Some(assignment) = command.strip_prefix("export ") {
            let (name, value) = assignment.split_once('=').unwrap();
            vars.retain(|(set, _)| set != name);
            vars.push((name.to_owned(), value.to_owned()));
            assert_eq!(step.expected, "", "{}", step.command);
            continue;
        }
        let shown = at_a_terminal(&command, &work, &vars);
        assert_eq!(
            normalised(&shown, &paths),
            normalised(&step.expected, &[]),
            "`{}` shows something else than the README",
            step.command
        );
    }
}
