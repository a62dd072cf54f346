//! The user decides, at process level: the demo's `telemetry` subcommand and remembered choice
//! against the environment's opt-outs, the first-run notice's rules (at a terminal or not, in
//! CI, opted out, a new version), the dry run, a corrupt or unwritable configuration, and
//! concurrent first runs.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

#[path = "../../support/collector.rs"]
mod collector;
#[path = "../../support/demo.rs"]
mod support;

use std::net::TcpListener;
use std::path::Path;
use std::process::Output;

use collector::{Behaviour, Collector};
use serde_json::Value;
use support::{CONFIG_DIR, diagnostics, event_count, log_lines, run};

/// A scratch folder holding one user's configuration directory and log files.
struct User {
    home: tempfile::TempDir,
}

impl User {
    fn new() -> Self {
        User {
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn config_dir(&self) -> String {
        self.home.path().join("config").to_str().unwrap().to_owned()
    }

    fn log(&self, name: &str) -> String {
        self.home.path().join(name).to_str().unwrap().to_owned()
    }

    /// `demo telemetry <action>`, as this user.
    fn telemetry(&self, action: &str, vars: &[(&str, &str)]) -> Output {
        let config_dir = self.config_dir();
        run(&["telemetry", action], &with_config(&config_dir, vars))
    }
}

/// `vars` and the configuration directory `config_dir`.
fn with_config<'a>(config_dir: &'a str, vars: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vars.to_vec();
    all.push((CONFIG_DIR, config_dir));
    all
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Whether a run wrote events to `log` (a run that is off writes no file at all).
fn sent_events(log: &str) -> bool {
    Path::new(log).exists() && event_count(&log_lines(Path::new(log))) > 0
}

#[test]
fn the_precedence_table_at_process_level() {
    // (remembered choice, program switch off, variables, on?, status says)
    type Case = (
        Option<&'static str>,
        bool,
        &'static [(&'static str, &'static str)],
        bool,
        &'static str,
    );
    let cases: &[Case] = &[
        (
            Some("enable"),
            true,
            &[("WERF_TELEMETRY", "1")],
            false,
            "decided by the program",
        ),
        (
            Some("enable"),
            false,
            &[("WERF_TELEMETRY", "off")],
            false,
            "decided by WERF_TELEMETRY=off",
        ),
        (
            Some("enable"),
            false,
            &[("WERF_TELEMETRY", "1"), ("DO_NOT_TRACK", "1")],
            false,
            "decided by DO_NOT_TRACK=1",
        ),
        (
            Some("disable"),
            false,
            &[("WERF_TELEMETRY", "1")],
            false,
            "decided by the choice remembered in",
        ),
        (
            Some("disable"),
            false,
            &[("WERF_TELEMETRY", "local")],
            false,
            "decided by the choice remembered in",
        ),
        (
            Some("enable"),
            false,
            &[("WERF_TELEMETRY", "local")],
            true,
            "on as a dry run",
        ),
        (
            None,
            false,
            &[("WERF_TELEMETRY", "yes")],
            true,
            "decided by WERF_TELEMETRY=yes",
        ),
        (
            Some("enable"),
            false,
            &[],
            true,
            "decided by the choice remembered in",
        ),
        (None, false, &[], true, "decided by the default"),
    ];
    for (index, (choice, program_off, vars, on, says)) in cases.iter().enumerate() {
        let user = User::new();
        if let Some(choice) = choice {
            assert!(user.telemetry(choice, &[]).status.success());
        }
        let status = user.telemetry("status", vars);
        if !program_off {
            assert!(
                stdout(&status).contains(says),
                "case {index}: {}",
                stdout(&status)
            );
            let first_line = stdout(&status).lines().next().unwrap().to_owned();
            assert_eq!(
                first_line.starts_with("telemetry: on"),
                *on,
                "case {index}: {first_line}"
            );
        }
        let log = user.log("telemetry.jsonl");
        let config_dir = user.config_dir();
        let mut vars = with_config(&config_dir, vars);
        vars.push(("WERF_TELEMETRY_LOG_FILE", &log));
        let args: &[&str] = if *program_off {
            &["build", "--no-telemetry"]
        } else {
            &["build"]
        };
        let output = run(args, &vars);
        assert!(output.status.success(), "case {index}");
        assert_eq!(sent_events(&log), *on, "case {index}: {vars:?}");
    }
}

#[test]
fn a_remembered_enable_never_overrides_an_opt_out_and_status_says_so() {
    let user = User::new();
    let enabled = user.telemetry("enable", &[]);
    assert!(
        stdout(&enabled).starts_with("remembered `enable` in "),
        "{}",
        stdout(&enabled)
    );
    let status = user.telemetry("status", &[("DO_NOT_TRACK", "true")]);
    assert_eq!(
        stdout(&status).lines().take(2).collect::<Vec<_>>(),
        [
            "telemetry: off, decided by DO_NOT_TRACK=true",
            "remembered choice: enable, which never overrides an opt-out",
        ]
    );
}

#[test]
fn status_explains_where_events_go_and_the_installation_id() {
    let user = User::new();
    let log = user.log("telemetry.jsonl");
    let collector = Collector::start(Behaviour::Accept);
    let endpoint = collector.endpoint();
    let vars = [
        ("WERF_TELEMETRY_LOG_FILE", log.as_str()),
        ("WERF_TELEMETRY_TRACE_URL", endpoint.as_str()),
    ];
    let before = stdout(&user.telemetry("status", &vars));
    assert!(
        before.contains(&format!("events are sent to: {endpoint}\n")),
        "{before}"
    );
    assert!(before.contains(&format!("log file: {log}\n")), "{before}");
    assert!(before.contains("installation ID: none ("), "{before}");
    assert!(before.contains(&format!("configuration directory: {}\n", user.config_dir())));

    // A run makes the installation's ID and sends it as `userID`; reset forgets it.
    let config_dir = user.config_dir();
    assert!(
        run(&["build"], &with_config(&config_dir, &vars))
            .status
            .success()
    );
    let lines = log_lines(Path::new(&log));
    let id = lines[0]["userID"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36);
    assert!(lines.iter().all(|line| line["userID"] == id.as_str()));
    let after = stdout(&user.telemetry("status", &vars));
    assert!(
        after.contains(&format!("installation ID: {id} (pseudonymous: a random ID of this installation; `demo telemetry reset` forgets it)\nto have what was received from this installation erased, quote this ID")),
        "{after}"
    );
    let reset = stdout(&user.telemetry("reset", &vars));
    assert!(reset.starts_with("forgot the installation ID"), "{reset}");
    assert!(reset.contains("installation ID: none ("), "{reset}");
    let log_after_reset = user.log("after-reset.jsonl");
    let mut vars = with_config(&config_dir, &vars);
    vars.retain(|(name, _)| *name != "WERF_TELEMETRY_LOG_FILE");
    vars.push(("WERF_TELEMETRY_LOG_FILE", &log_after_reset));
    assert!(run(&["build"], &vars).status.success());
    let new_id = &log_lines(Path::new(&log_after_reset))[0]["userID"];
    assert_ne!(new_id, &Value::from(id));
}

#[cfg(unix)]
mod notice {
    use super::support::run_at_terminal;
    use super::{
        Behaviour, Collector, Path, User, event_count, log_lines, run, stderr, with_config,
    };

    const NOTICE: &str = "werf sends usage telemetry to its developers";

    /// Owned variables, borrowed.
    fn borrowed(vars: &[(String, String)]) -> Vec<(&str, &str)> {
        vars.iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    }

    #[test]
    fn shown_once_at_a_terminal_sending_nothing_then_again_for_a_new_version() {
        let user = User::new();
        let collector = Collector::start(Behaviour::Accept);
        let endpoint = collector.endpoint();
        let config_dir = user.config_dir();
        let (first_log, second_log) = (user.log("first.jsonl"), user.log("second.jsonl"));
        let vars = |log: &str| {
            with_config(
                &config_dir,
                &[
                    ("WERF_TELEMETRY_TRACE_URL", &endpoint),
                    ("WERF_TELEMETRY_LOG_FILE", log),
                ],
            )
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect::<Vec<_>>()
        };

        let first_vars = vars(&first_log);
        let first = run_at_terminal(&["build"], &borrowed(&first_vars));
        assert!(first.status.success());
        let shown = stderr(&first);
        assert!(shown.contains(NOTICE), "{shown}");
        assert!(
            shown.contains("Nothing was sent during this run."),
            "{shown}"
        );
        assert!(shown.contains("WERF_TELEMETRY=local and WERF_TELEMETRY_LOG_FILE=<file>"));
        assert!(shown.contains("`demo telemetry disable`, WERF_TELEMETRY=0 or DO_NOT_TRACK=1."));
        assert!(shown.contains("Everything it sends: "));
        // The run that showed it logged its events and sent none of them.
        assert!(event_count(&log_lines(Path::new(&first_log))) > 0);
        assert_eq!(collector.requests().len(), 0);

        let second_vars = vars(&second_log);
        let second = run_at_terminal(&["build"], &borrowed(&second_vars));
        assert!(!stderr(&second).contains(NOTICE), "{}", stderr(&second));
        assert!(!collector.requests().is_empty(), "the second run sends");

        let mut new_version = borrowed(&second_vars);
        new_version.push(("DEMO_NOTICE_VERSION", "2"));
        assert!(stderr(&run_at_terminal(&["build"], &new_version)).contains(NOTICE));
        assert!(!stderr(&run_at_terminal(&["build"], &new_version)).contains(NOTICE));
    }

    #[test]
    fn never_in_ci_never_opted_out_never_without_a_terminal() {
        for (vars, terminal, what) in [
            (&[("CI", "true")][..], true, "in CI"),
            (&[("GITLAB_CI", "true")][..], true, "in GitLab CI"),
            (&[("WERF_TELEMETRY", "0")][..], true, "opted out"),
            (
                &[("DO_NOT_TRACK", "1")][..],
                true,
                "opted out with DO_NOT_TRACK",
            ),
            (&[][..], false, "without a terminal"),
        ] {
            let user = User::new();
            let config_dir = user.config_dir();
            let vars = with_config(&config_dir, vars);
            let output = if terminal {
                run_at_terminal(&["build"], &vars)
            } else {
                run(&["build"], &vars)
            };
            assert!(!stderr(&output).contains(NOTICE), "{what}");
            // Not shown, so not recorded: the first run someone sees still shows it.
            let at_terminal = run_at_terminal(&["build"], &with_config(&config_dir, &[]));
            assert!(stderr(&at_terminal).contains(NOTICE), "after a run {what}");
        }
        // Nor after a remembered `enable` or `disable`.
        for choice in ["enable", "disable"] {
            let user = User::new();
            assert!(user.telemetry(choice, &[]).status.success());
            let config_dir = user.config_dir();
            let output = run_at_terminal(&["build"], &with_config(&config_dir, &[]));
            assert!(!stderr(&output).contains(NOTICE), "after `{choice}`");
        }
    }

    #[test]
    fn concurrent_first_runs_agree_on_one_id_and_the_notice_is_recorded() {
        let user = User::new();
        let config_dir = user.config_dir();
        let logs: Vec<String> = (0..6)
            .map(|index| user.log(&format!("{index}.jsonl")))
            .collect();
        let runs: Vec<_> = logs
            .iter()
            .map(|log| {
                let vars: Vec<(String, String)> =
                    with_config(&config_dir, &[("WERF_TELEMETRY_LOG_FILE", log)])
                        .into_iter()
                        .map(|(name, value)| (name.to_owned(), value.to_owned()))
                        .collect();
                std::thread::spawn(move || run_at_terminal(&["build"], &borrowed(&vars)))
            })
            .collect();
        let outputs: Vec<_> = runs.into_iter().map(|run| run.join().unwrap()).collect();
        // Each run that found it due shows it (two first runs at once may both): at least one.
        let notices = outputs
            .iter()
            .filter(|output| stderr(output).contains(NOTICE))
            .count();
        assert!(notices >= 1, "{notices} notices");
        let ids: Vec<String> = logs
            .iter()
            .map(|log| {
                log_lines(Path::new(log))[0]["userID"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert!(
            ids.iter().all(|id| id == &ids[0] && id.len() == 36),
            "{ids:?}"
        );
        let later = run_at_terminal(&["build"], &with_config(&config_dir, &[]));
        assert!(!stderr(&later).contains(NOTICE), "recorded once shown");
    }
}

#[test]
fn a_dry_run_logs_everything_and_attempts_no_connection() {
    let user = User::new();
    let log = user.log("dry.jsonl");
    // Whatever would be dialled, the collector or a proxy, listens here: nothing may connect.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let endpoint = format!("http://{address}/v1/traces");
    let proxy = format!("http://{address}");
    let config_dir = user.config_dir();
    let vars = with_config(
        &config_dir,
        &[
            ("WERF_TELEMETRY", "local"),
            ("WERF_TELEMETRY_LOG_FILE", &log),
            ("WERF_TELEMETRY_TRACE_URL", &endpoint),
            ("HTTP_PROXY", &proxy),
            ("HTTPS_PROXY", &proxy),
        ],
    );
    let output = run(&["build", "--images", "2"], &vars);
    assert!(output.status.success());
    let lines = log_lines(Path::new(&log));
    assert_eq!(event_count(&lines), 12);
    assert_eq!(diagnostics(&lines), Vec::<(String, String)>::new());
    assert_eq!(
        listener.accept().map(|_| ()).map_err(|error| error.kind()),
        Err(std::io::ErrorKind::WouldBlock),
        "a connection was attempted"
    );
    let status = stdout(&user.telemetry("status", &vars));
    assert!(status.starts_with("telemetry: on as a dry run"), "{status}");
    assert!(status.contains("events are sent to: nowhere\n"), "{status}");
}

#[test]
fn a_corrupt_choice_is_an_opt_out_with_a_diagnostic_and_is_kept_aside_not_overwritten() {
    let user = User::new();
    let config_dir = user.config_dir();
    std::fs::create_dir_all(&config_dir).unwrap();
    let choice = Path::new(&config_dir).join("choice");
    std::fs::write(&choice, "disabled?\n").unwrap();
    let log = user.log("telemetry.jsonl");
    let output = run(
        &["build"],
        &with_config(&config_dir, &[("WERF_TELEMETRY_LOG_FILE", &log)]),
    );
    assert!(output.status.success());
    assert_eq!(stderr(&output), "");
    let lines = log_lines(Path::new(&log));
    assert_eq!(event_count(&lines), 0, "doubt counts as an opt-out");
    let problems = diagnostics(&lines);
    assert!(
        problems
            .iter()
            .any(|(kind, message)| kind == "configuration"
                && message.contains("is not a remembered choice")
                && message.contains("doubt counts as an opt-out")),
        "{problems:?}"
    );
    assert_eq!(std::fs::read_to_string(&choice).unwrap(), "disabled?\n");
    let status = stdout(&user.telemetry("status", &[]));
    assert!(
        status.starts_with("telemetry: off, decided by doubt: "),
        "{status}"
    );
    assert!(status.contains("remembered choice: none\n"), "{status}");
    assert!(status.contains("problem: "), "{status}");

    let disabled = stdout(&user.telemetry("disable", &[]));
    assert!(
        disabled.contains("the unreadable file that was there is kept as"),
        "{disabled}"
    );
    let kept: Vec<String> = std::fs::read_dir(&config_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("choice.unreadable-"))
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        std::fs::read_to_string(Path::new(&config_dir).join(&kept[0])).unwrap(),
        "disabled?\n"
    );
    assert_eq!(std::fs::read_to_string(&choice).unwrap(), "disabled\n");
}

#[test]
fn an_unwritable_configuration_directory_never_breaks_the_program() {
    let user = User::new();
    let blocker = user.home.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let config_dir = blocker.join("telemetry").to_str().unwrap().to_owned();
    let log = user.log("telemetry.jsonl");
    let vars = with_config(&config_dir, &[("WERF_TELEMETRY_LOG_FILE", &log)]);
    let baseline = run(&["build"], &[("WERF_TELEMETRY", "0")]);
    let output = run(&["build"], &vars);
    assert_eq!(output.status.code(), baseline.status.code());
    assert_eq!(stdout(&output), stdout(&baseline));
    assert_eq!(stderr(&output), "");
    let lines = log_lines(Path::new(&log));
    assert!(event_count(&lines) > 0);
    // The installation's ID cannot be stored: none is sent, rather than a new one every run.
    assert!(
        lines
            .iter()
            .filter(|line| line.get("diagnostic").is_none())
            .all(|line| line["userID"] == "")
    );
    assert!(
        diagnostics(&lines)
            .iter()
            .any(|(_, message)| message.contains("installation ID cannot be stored")),
        "{:?}",
        diagnostics(&lines)
    );
    // The subcommand says why it cannot remember, and fails.
    let disable = run(&["telemetry", "disable"], &vars);
    assert_eq!(disable.status.code(), Some(1));
    assert!(
        stderr(&disable).starts_with("error: cannot remember the choice in "),
        "{}",
        stderr(&disable)
    );
    // A file where the directory should be holds no choice: none is remembered.
    let status = run(&["telemetry", "status"], &vars);
    assert!(status.status.success());
    assert!(
        stdout(&status).contains("remembered choice: none\n"),
        "{}",
        stdout(&status)
    );
}

#[test]
fn a_run_and_the_controls_agree_on_what_decided() {
    use telemetry_core::{Control, DecidedBy, Settings, Telemetry};

    let choices: [Option<&str>; 4] = [None, Some("enabled\n"), Some("disabled\n"), Some("maybe")];
    let environments: [&[(&str, &str)]; 5] = [
        &[],
        &[("ACME_TELEMETRY", "0")],
        &[("ACME_TELEMETRY", "1")],
        &[("ACME_TELEMETRY", "local")],
        &[("DO_NOT_TRACK", "1")],
    ];
    let mut decided_by_choice = 0;
    for choice in choices {
        for environment in environments {
            for program_enabled in [true, false] {
                let dir = tempfile::tempdir().unwrap();
                if let Some(text) = choice {
                    std::fs::write(dir.path().join("choice"), text).unwrap();
                }
                let mut vars: Vec<(std::ffi::OsString, std::ffi::OsString)> = environment
                    .iter()
                    .map(|(name, value)| ((*name).into(), (*value).into()))
                    .collect();
                vars.push(("ACME_TELEMETRY_CONFIG_DIR".into(), dir.path().into()));
                let settings = Settings {
                    enabled: program_enabled,
                    ..Settings::new("ACME", "acme", "1.0.0")
                };
                let control = Control::with_vars(&settings, vars.clone());
                // Somewhere to send: with nowhere, nothing is read, the choice included.
                let telemetry = Telemetry::builder(settings)
                    .vars(vars)
                    .sink(telemetry_core::sink::Memory::default())
                    .build();
                let expected = control.status().status;
                assert_eq!(
                    telemetry.status(),
                    &expected,
                    "choice {choice:?}, environment {environment:?}, program on: {program_enabled}"
                );
                if matches!(expected.decided_by, DecidedBy::Choice { .. }) {
                    decided_by_choice += 1;
                }
                telemetry.shutdown();
            }
        }
    }
    // The remembered `disable` decides wherever nothing opted out before it (the default, `=1`
    // and `local`); the remembered `enable` only where nothing else said anything.
    assert_eq!(decided_by_choice, 4);
}
