//! The runtime in process: the log file's lines against the stream schema, many threads at once,
//! queue overflow, the shutdown deadline, the null object, drop.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use telemetry_core::sink::{EncodedEvent, Memory, Sink, SinkError};
use telemetry_core::werf::{self as events, BuildFinished, CommandExited};
use telemetry_core::{DecidedBy, Settings, Telemetry, TelemetryEvent};
use telemetry_schema::files;

use telemetry_tests::{path_vars as vars, runtime_settings as settings};

use telemetry_tests::log_lines as lines;

fn is_diagnostic(line: &Value) -> bool {
    line.get("diagnostic").is_some()
}

#[test]
fn every_event_line_of_the_log_file_validates_against_the_stream_schema() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let telemetry = Telemetry::builder(settings("validated"))
        .vars(vars(&[
            ("MYTOOL_TELEMETRY_LOG_FILE", &log),
            ("GITLAB_CI", Path::new("true")),
        ]))
        .build();
    for example in events::CommandStarted::examples() {
        telemetry.emit(example.event);
    }
    telemetry.emit(events::examples::unshallow_failed().event);
    telemetry.emit(events::examples::build_started().event);
    telemetry.emit(events::examples::stage_build_finished().event);
    telemetry.emit(events::examples::image_build_finished().event);
    telemetry.emit(events::examples::build_finished().event);
    telemetry.emit(CommandExited {
        exit_code: -1,
        duration_ms: 3,
    });
    telemetry.shutdown();

    // The committed stream schema, as consumers use it.
    let stream = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(files::STREAM_SCHEMA);
    let stream: Value = serde_json::from_str(&std::fs::read_to_string(stream).unwrap()).unwrap();
    let stream = jsonschema::draft202012::new(&stream).unwrap();
    let lines = lines(&log);
    assert_eq!(lines.len(), 7);
    let execution_id = telemetry.execution_id().unwrap();
    for line in &lines {
        assert!(!is_diagnostic(line));
        stream
            .validate(line)
            .unwrap_or_else(|error| panic!("{line}: {error}"));
        assert_eq!(line["executionID"], execution_id);
        assert_eq!(line["attributes"]["ciName"], "gitlab");
        assert_eq!(line["command"], "validated build");
    }
    assert_eq!(lines[6]["eventData"]["exitCode"], -1);
}

#[cfg(unix)]
#[test]
fn the_log_file_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let telemetry = Telemetry::builder(settings("private"))
        .vars(vars(&[("MYTOOL_TELEMETRY_LOG_FILE", &log)]))
        .build();
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 1,
    });
    telemetry.shutdown();
    assert_eq!(
        std::fs::metadata(&log).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn disabled_telemetry_is_a_null_object() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let telemetry = Telemetry::builder(settings("nullobject"))
        .vars(vars(&[
            ("MYTOOL_TELEMETRY_LOG_FILE", &log),
            ("DO_NOT_TRACK", Path::new("1")),
        ]))
        .build();
    assert!(!telemetry.status().enabled);
    assert_eq!(
        telemetry.status().decided_by,
        DecidedBy::Variable {
            name: "DO_NOT_TRACK".into(),
            value: "1".into()
        }
    );
    assert!(telemetry.execution_id().is_none(), "no context is computed");
    #[cfg(target_os = "linux")]
    assert!(
        !thread_names()
            .iter()
            .any(|name| name.starts_with("nullobject")),
        "no thread is started"
    );
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 1,
    });
    telemetry.shutdown();
    assert!(!log.exists(), "no file is opened");

    let disabled = Telemetry::disabled();
    disabled.emit(CommandExited {
        exit_code: 0,
        duration_ms: 1,
    });
    assert!(!disabled.status().enabled);
}

/// The names of this process's threads (Linux truncates them to 15 bytes).
#[cfg(target_os = "linux")]
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn enabled_telemetry_runs_one_named_background_thread_until_shutdown() {
    let running = || thread_names().iter().any(|name| name == "threadcheck-tel");
    let eventually = |expected: bool, what: &str| {
        // A thread names itself once it runs, and is gone some time after it returns.
        let deadline = Instant::now() + Duration::from_mins(1);
        while running() != expected {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    // Somewhere to send: a sink.
    let telemetry = Telemetry::builder(settings("threadcheck"))
        .vars(Vec::new())
        .sink(Memory::default())
        .build();
    eventually(true, "the background thread runs");
    telemetry.shutdown();
    eventually(false, "the background thread ends after shutdown");
}

#[test]
fn many_threads_emitting_at_once_lose_nothing_and_never_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let memory = Memory::default();
    let telemetry = Telemetry::builder(Settings {
        queue_capacity: 10_000,
        ..settings("threads")
    })
    .vars(vars(&[("MYTOOL_TELEMETRY_LOG_FILE", &log)]))
    .sink(memory.clone())
    .build();
    let start = Barrier::new(8);
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let (telemetry, start) = (&telemetry, &start);
            scope.spawn(move || {
                start.wait();
                for index in 0..250 {
                    telemetry.emit(BuildFinished {
                        duration_ms: thread * 1000 + index,
                        success: true,
                        images_count: 1,
                    });
                }
            });
        }
    });
    telemetry.shutdown();
    let lines = lines(&log);
    assert_eq!(lines.len(), 2000);
    let mut durations: Vec<u64> = lines
        .iter()
        .map(|line| line["eventData"]["durationMs"].as_u64().unwrap())
        .collect();
    durations.sort_unstable();
    durations.dedup();
    assert_eq!(durations.len(), 2000, "every event exactly once");
    assert_eq!(memory.envelopes().len(), 2000);
}

#[test]
fn independent_writers_of_one_log_file_never_interleave_lines() {
    // Separate runtimes open the file separately, as separate processes do.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    std::thread::scope(|scope| {
        for writer in 0..6 {
            let log = &log;
            scope.spawn(move || {
                // A deadline no busy machine reaches: this tests interleaving, not speed.
                let telemetry = Telemetry::builder(Settings {
                    queue_capacity: 1000,
                    shutdown_timeout: Duration::from_mins(2),
                    ..settings("writers")
                })
                .vars(vars(&[("MYTOOL_TELEMETRY_LOG_FILE", log)]))
                .build();
                let padding = "x".repeat(4096 * (writer + 1));
                for _ in 0..50 {
                    telemetry.emit(events::UnshallowFailed {
                        error_message: padding.clone(),
                        gitlab_runner_version: String::new(),
                        gitlab_server_version: String::new(),
                    });
                }
            });
        }
    });
    let lines = lines(&log);
    assert_eq!(lines.len(), 300);
}

/// A sink that blocks until released, then records what it got.
#[derive(Clone)]
struct Gate {
    release: Arc<Mutex<mpsc::Receiver<()>>>,
    delivered: Arc<Mutex<usize>>,
}

impl Sink for Gate {
    fn deliver(&mut self, _: &EncodedEvent<'_>) -> Result<(), SinkError> {
        let _ = self.release.lock().unwrap().recv();
        *self.delivered.lock().unwrap() += 1;
        Ok(())
    }
}

#[test]
fn a_full_queue_drops_events_counts_them_and_never_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let (release, gate) = mpsc::channel();
    let gate = Gate {
        release: Arc::new(Mutex::new(gate)),
        delivered: Arc::default(),
    };
    let telemetry = Telemetry::builder(Settings {
        queue_capacity: 4,
        shutdown_timeout: Duration::from_secs(5),
        ..settings("overflow")
    })
    .vars(vars(&[("MYTOOL_TELEMETRY_LOG_FILE", &log)]))
    .sink(gate.clone())
    .build();
    let started = Instant::now();
    for index in 0..100 {
        telemetry.emit(CommandExited {
            exit_code: index,
            duration_ms: 0,
        });
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "emit never waits for the stuck sink"
    );
    for _ in 0..100 {
        let _ = release.send(());
    }
    telemetry.shutdown();
    let lines = lines(&log);
    let delivered = *gate.delivered.lock().unwrap();
    let events = lines.iter().filter(|line| !is_diagnostic(line)).count();
    assert_eq!(events, delivered);
    assert!((1..=5).contains(&delivered), "{delivered}");
    let diagnostics: Vec<&Value> = lines.iter().filter(|line| is_diagnostic(line)).collect();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0]["diagnostic"], "dropped");
    assert_eq!(
        diagnostics[0]["message"],
        format!(
            "{} event(s) dropped: the queue was full or the shutdown deadline passed",
            100 - delivered
        )
    );
}

/// A sink whose flush never finishes in time.
struct Stuck;

impl Sink for Stuck {
    fn deliver(&mut self, _: &EncodedEvent<'_>) -> Result<(), SinkError> {
        Ok(())
    }

    fn flush(&mut self, _deadline: Instant) -> Result<(), SinkError> {
        std::thread::sleep(Duration::from_secs(30));
        Ok(())
    }
}

#[test]
fn shutdown_honours_its_deadline_whatever_the_sinks_do() {
    let telemetry = Telemetry::builder(Settings {
        shutdown_timeout: Duration::from_millis(100),
        ..settings("deadline")
    })
    .vars(Vec::new())
    .sink(Stuck)
    .build();
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 0,
    });
    let started = Instant::now();
    telemetry.shutdown();
    // Generous, for loaded CI machines; the benchmark measures the real figure.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    drop(telemetry);
    assert!(
        started.elapsed() < Duration::from_millis(50),
        "a second shutdown returns at once"
    );
}

#[test]
fn events_after_shutdown_are_ignored_and_drop_shuts_down() {
    let memory = Memory::default();
    let telemetry = Telemetry::builder(settings("afterwards"))
        .vars(Vec::new())
        .sink(memory.clone())
        .build();
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 0,
    });
    telemetry.shutdown();
    telemetry.emit(CommandExited {
        exit_code: 1,
        duration_ms: 0,
    });
    telemetry.shutdown();
    assert_eq!(memory.envelopes().len(), 1);

    let memory = Memory::default();
    let telemetry = Telemetry::builder(settings("dropped"))
        .vars(Vec::new())
        .sink(memory.clone())
        .build();
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 0,
    });
    drop(telemetry);
    assert_eq!(memory.envelopes().len(), 1);
}

#[test]
fn an_unwritable_log_file_changes_nothing_for_the_host() {
    let memory = Memory::default();
    let dir = tempfile::tempdir().unwrap();
    let telemetry = Telemetry::builder(settings("unwritable"))
        .vars(vars(&[(
            "MYTOOL_TELEMETRY_LOG_FILE",
            &dir.path().join("missing/dir/telemetry.jsonl"),
        )]))
        .sink(memory.clone())
        .build();
    assert!(telemetry.status().enabled);
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 0,
    });
    telemetry.shutdown();
    assert_eq!(memory.envelopes().len(), 1);
    // A directory is no file either.
    let telemetry = Telemetry::builder(settings("unwritable"))
        .vars(vars(&[("MYTOOL_TELEMETRY_LOG_FILE", dir.path())]))
        .build();
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 0,
    });
    telemetry.shutdown();
}

#[test]
fn configuration_problems_and_failed_serialisation_become_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let telemetry = Telemetry::builder(Settings {
        user_id: "someone@example.com".into(),
        ..settings("diagnostics")
    })
    .vars(vars(&[
        ("MYTOOL_TELEMETRY_LOG_FILE", &log),
        (
            "MYTOOL_TELEMETRY_EXTRA_ATTRIBUTE_TEAM",
            Path::new("no-equals-sign"),
        ),
        ("MYTOOL_TELEMETRY_EXTRA_ATTRIBUTE_ENV", Path::new("env=ci")),
    ]))
    .build();
    telemetry.emit(Unserialisable {});
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 0,
    });
    telemetry.shutdown();
    let lines = lines(&log);
    let diagnostics: Vec<(String, String)> = lines
        .iter()
        .filter(|line| is_diagnostic(line))
        .map(|line| {
            (
                line["diagnostic"].as_str().unwrap().to_owned(),
                line["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        diagnostics,
        [
            (
                "configuration".into(),
                "MYTOOL_TELEMETRY_EXTRA_ATTRIBUTE_TEAM: expected `key=value`; ignored".into()
            ),
            (
                "configuration".into(),
                "the program's user ID is not a pseudonymous identifier (at most 128 letters, digits and `._:-`) and was not sent".into()
            ),
            (
                "serialization".into(),
                "Unserialisable v1 did not serialise: this event never serialises".into()
            ),
        ]
    );
    let event = lines.iter().find(|line| !is_diagnostic(line)).unwrap();
    assert_eq!(event["userID"], "");
    assert_eq!(
        event["attributes"]["extra"],
        serde_json::json!({ "env": "ci" })
    );
}

/// An event whose serialisation fails.
#[derive(schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = unserialisable)]
struct Unserialisable {}

impl serde::Serialize for Unserialisable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("this event never serialises"))
    }
}

fn unserialisable() -> telemetry_core::Envelope<Unserialisable> {
    telemetry_core::Envelope::new(&events::examples::build_on_a_mac(), 0, Unserialisable {})
}

#[test]
fn numbers_the_schema_refuses_are_never_sent_and_a_diagnostic_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    let memory = Memory::default();
    let telemetry = Telemetry::builder(settings("ranges"))
        .vars(vars(&[("MYTOOL_TELEMETRY_LOG_FILE", &log)]))
        .sink(memory.clone())
        .build();
    for duration_ms in [
        u64::MAX,
        1 << 53,
        u64::MAX,
        u64::MAX,
        u64::MAX,
        u64::MAX,
        u64::MAX,
    ] {
        telemetry.emit(CommandExited {
            exit_code: 1,
            duration_ms,
        });
    }
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: (1 << 53) - 1,
    });
    telemetry.emit(BuildFinished {
        duration_ms: 5,
        success: true,
        images_count: 1,
    });
    telemetry.shutdown();
    let lines = lines(&log);
    let events: Vec<&Value> = lines.iter().filter(|line| !is_diagnostic(line)).collect();
    assert_eq!(events.len(), 2, "{lines:#?}");
    assert_eq!(
        events[0]["eventData"]["durationMs"],
        9_007_199_254_740_991_u64
    );
    assert_eq!(memory.envelopes().len(), 2);
    let diagnostics: Vec<&str> = lines
        .iter()
        .filter(|line| line["diagnostic"] == "serialization")
        .map(|line| line["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        diagnostics[0],
        "CommandExited v2 was not sent: `eventData.durationMs` is 18446744073709551615, which its \
         schema refuses: integers are at most 2^53 − 1 (9007199254740991)"
    );
    assert!(diagnostics[1].contains("`eventData.durationMs` is 9007199254740992"));
    // A few lines, then a count: as for every diagnostic.
    assert_eq!(diagnostics.len(), 6, "{diagnostics:#?}");
    assert_eq!(
        diagnostics[5],
        "2 more serialization diagnostic(s) like the 5 above were not written"
    );
}
