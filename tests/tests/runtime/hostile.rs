//! The demo CLI in hostile environments, as a real process, on loopback only: SOCKS and broken
//! proxies, proxies the rules say not to use, repositories whose files would block or never
//! end or belong to someone else, log files that block, thousands of malformed variables,
//! symlinks and secrets. In every case the program prints and exits as without telemetry, never
//! hangs (a watchdog fails the test instead), and delivers what it may.

#![cfg(unix)]
#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

#[path = "../../support/collector.rs"]
mod collector;
#[path = "../../support/repository.rs"]
mod repository;
#[path = "../../support/socks.rs"]
mod socks;
#[path = "../../support/demo.rs"]
mod support;

use std::path::Path;
use std::process::Output;

use collector::{Behaviour, Collector, Request, refused_endpoint};
use repository::{mkfifo, repository};
use serde_json::Value;
use socks::Socks;
use support::{SHUTDOWN_TIMEOUT, diagnostics, event_count, log_lines, run, run_in};

/// A build of two images of three stages: twelve events.
const ARGS: &[&str] = &["build", "--images", "2", "--stages", "3"];
const EVENTS: usize = 12;

/// A host whose first label is longer than DNS allows: resolving it fails at once, without a
/// query leaving the machine. Sending to it directly can only fail; through a proxy, the proxy
/// is asked for it.
const UNRESOLVABLE_HOST: &str =
    "this-label-is-longer-than-sixty-three-characters-so-no-dns-query-is-ever-sent.example.invalid";

fn unresolvable_endpoint() -> String {
    format!("https://{UNRESOLVABLE_HOST}/v1/traces")
}

/// The projectID of a repository whose origin cannot be read: werf's hash of an empty URL.
const NO_ORIGIN: &str = "f1ae2a75ed1f99721f02ef869e2fb3d4df102fdd73e2d00b424a222f9c1ea69c";
/// The projectID of `git@github.com:werf/werf.git`.
const WERF: &str = "590dba0ea49212652f94e1cb1dbf3cc673d1dd964dea5d35239afcbbb3d38690";

/// What the demo prints without telemetry.
fn baseline() -> Output {
    run(ARGS, &[("WERF_TELEMETRY", "0")])
}

/// Runs the demo in `dir` with a log file and `vars`; asserts it printed and exited as without
/// telemetry; returns the log's lines (none when there is no log file).
fn logged_run(dir: Option<&Path>, vars: &[(&str, &str)]) -> Vec<Value> {
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("telemetry.jsonl");
    let mut vars = vars.to_vec();
    let log_text = log.to_str().unwrap().to_owned();
    if !vars
        .iter()
        .any(|(name, _)| *name == "WERF_TELEMETRY_LOG_FILE")
    {
        vars.push(("WERF_TELEMETRY_LOG_FILE", &log_text));
    }
    let output = run_in(dir, ARGS, &vars);
    let baseline = baseline();
    assert_eq!(output.status.code(), baseline.status.code(), "{vars:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&baseline.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&baseline.stderr),
        "nothing on the terminal: {vars:?}"
    );
    if log.exists() {
        log_lines(&log)
    } else {
        Vec::new()
    }
}

fn spans(collector: &Collector) -> usize {
    collector.requests().iter().map(Request::span_count).sum()
}

fn has_diagnostic(lines: &[Value], kind: &str, text: &str) -> bool {
    diagnostics(lines)
        .iter()
        .any(|(found, message)| found == kind && message.contains(text))
}

#[test]
fn socks5_proxies_get_the_host_name_as_go_gives_it_and_others_are_refused() {
    for scheme in ["socks5", "socks5h"] {
        let proxy = Socks::start();
        let lines = logged_run(
            None,
            &[
                ("WERF_TELEMETRY_TRACE_URL", &unresolvable_endpoint()),
                ("HTTPS_PROXY", &proxy.url(scheme)),
            ],
        );
        let targets = proxy.targets();
        assert!(!targets.is_empty(), "{scheme}: the proxy was asked");
        for target in targets {
            assert_eq!(target, format!("{UNRESOLVABLE_HOST}:443"), "{scheme}");
        }
        assert_eq!(event_count(&lines), EVENTS);
        assert!(
            has_diagnostic(&lines, "delivery", "not delivered to"),
            "{lines:?}"
        );
    }
    for scheme in ["socks4", "socks4a", "socks"] {
        let proxy = Socks::start();
        let lines = logged_run(
            None,
            &[
                ("WERF_TELEMETRY_TRACE_URL", &unresolvable_endpoint()),
                ("HTTPS_PROXY", &proxy.url(scheme)),
            ],
        );
        assert_eq!(proxy.connections(), 0, "{scheme}: nothing is sent");
        assert!(
            has_diagnostic(
                &lines,
                "configuration",
                &format!("is a `{scheme}` proxy, which is not supported")
            ),
            "{lines:?}"
        );
        assert!(!has_diagnostic(&lines, "delivery", ""), "no attempt at all");
    }
}

#[test]
fn proxies_are_chosen_by_gos_rules_from_the_same_environment() {
    // A loopback endpoint is never proxied, whatever HTTP_PROXY says.
    let collector = Collector::start(Behaviour::Accept);
    let proxy = Collector::start(Behaviour::Status(403));
    logged_run(
        None,
        &[
            ("WERF_TELEMETRY_TRACE_URL", &collector.endpoint()),
            ("HTTP_PROXY", &proxy.address()),
            ("ALL_PROXY", &proxy.address()),
        ],
    );
    assert_eq!(spans(&collector), EVENTS);
    assert!(proxy.requests().is_empty());

    let https = unresolvable_endpoint();
    let connects = |vars: &[(&str, &str)]| {
        let proxy = Collector::start(Behaviour::Status(403));
        let mut vars = vars.to_vec();
        let address = proxy.address();
        for (_, value) in &mut vars {
            if *value == "PROXY" {
                *value = &address;
            }
        }
        vars.push(("WERF_TELEMETRY_TRACE_URL", &https));
        let lines = logged_run(None, &vars);
        assert_eq!(event_count(&lines), EVENTS);
        proxy
            .requests()
            .iter()
            .map(|request| request.start_line.clone())
            .collect::<Vec<_>>()
    };
    let through = format!("CONNECT {UNRESOLVABLE_HOST}:443 HTTP/1.1");
    assert!(
        connects(&[("HTTPS_PROXY", "PROXY")])
            .iter()
            .all(|line| *line == through)
    );
    assert!(!connects(&[("https_proxy", "PROXY")]).is_empty());
    assert!(
        connects(&[("ALL_PROXY", "PROXY")]).is_empty(),
        "ALL_PROXY is not read"
    );
    assert!(
        connects(&[("HTTP_PROXY", "PROXY")]).is_empty(),
        "HTTP_PROXY is for http://"
    );
    assert!(
        connects(&[("HTTPS_PROXY", "PROXY"), ("NO_PROXY", "example.invalid")]).is_empty(),
        "a bare domain in NO_PROXY covers its subdomains"
    );
    assert!(
        !connects(&[
            ("HTTPS_PROXY", "PROXY"),
            ("NO_PROXY", "other.invalid,.elsewhere")
        ])
        .is_empty()
    );
}

#[test]
fn a_malformed_proxy_means_nothing_is_sent_not_a_direct_connection() {
    let lines = logged_run(
        None,
        &[
            ("WERF_TELEMETRY_TRACE_URL", &unresolvable_endpoint()),
            ("HTTPS_PROXY", "http://[::1"),
        ],
    );
    assert!(
        has_diagnostic(
            &lines,
            "configuration",
            "the proxy http://[::1 in HTTPS_PROXY is not a URL; nothing is sent"
        ),
        "{lines:?}"
    );
    // A direct attempt would have failed to resolve the host, and said so.
    assert!(!has_diagnostic(&lines, "delivery", ""), "{lines:?}");
    assert_eq!(
        event_count(&lines),
        EVENTS,
        "the log file still gets every event"
    );
}

/// A repository at `root/project` with `git@github.com:werf/werf.git` as its origin; returns
/// the project's directory.
fn werf_repository(root: &Path) -> std::path::PathBuf {
    let project = root.join("project");
    repository(&project, |config| {
        std::fs::write(
            config,
            "[remote \"origin\"]\n\turl = git@github.com:werf/werf.git\n",
        )
        .unwrap();
    });
    project
}

fn project_id(lines: &[Value]) -> String {
    let ids: Vec<&str> = lines
        .iter()
        .filter_map(|line| line.get("projectID")?.as_str())
        .collect();
    assert_eq!(ids.len(), EVENTS, "{lines:?}");
    assert!(ids.iter().all(|id| *id == ids[0]));
    ids[0].to_owned()
}

#[test]
fn repository_files_that_block_or_never_end_are_not_read() {
    let root = tempfile::tempdir().unwrap();
    let project = werf_repository(root.path());
    assert_eq!(project_id(&logged_run(Some(&project), &[])), WERF);
    let config = project.join(".git/config");

    std::fs::remove_file(&config).unwrap();
    mkfifo(&config);
    assert_eq!(
        project_id(&logged_run(Some(&project), &[])),
        NO_ORIGIN,
        "a FIFO config"
    );

    std::fs::remove_file(&config).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &config).unwrap();
    assert_eq!(
        project_id(&logged_run(Some(&project), &[])),
        NO_ORIGIN,
        "/dev/zero"
    );

    std::fs::remove_file(&config).unwrap();
    let mut huge = String::from("[remote \"origin\"]\n\turl = git@github.com:werf/werf.git\n");
    huge.push_str(&"# padding\n".repeat(5 << 20));
    std::fs::write(&config, huge).unwrap();
    assert_eq!(
        project_id(&logged_run(Some(&project), &[])),
        NO_ORIGIN,
        "50 MB"
    );

    // A `.git` file naming a FIFO, and a FIFO as `commondir`.
    let work = root.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let fifo = root.path().join("fifo");
    mkfifo(&fifo);
    std::fs::write(work.join(".git"), format!("gitdir: {}\n", fifo.display())).unwrap();
    assert_eq!(project_id(&logged_run(Some(&work), &[])), "");
    std::fs::remove_file(&config).unwrap();
    std::fs::write(
        &config,
        "[remote \"origin\"]\n\turl = git@github.com:werf/werf.git\n",
    )
    .unwrap();
    mkfifo(&project.join(".git/commondir"));
    assert_eq!(project_id(&logged_run(Some(&project), &[])), WERF);
}

#[test]
fn a_repository_of_another_user_is_not_trusted_unless_safe_directory_says_so() {
    if !rustix::process::geteuid().is_root() {
        // Only root can give a repository to another user; the rule itself is tested in
        // telemetry-core's unit tests (`safe_directory_values_follow_gits_rules`).
        eprintln!("skipped: needs root to create another user's repository");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let project = werf_repository(root.path());
    let nobody = Some(rustix::process::Uid::from_raw(65_534));
    for path in [project.clone(), project.join(".git")] {
        rustix::fs::chown(&path, nobody, None).unwrap();
    }
    let home = tempfile::tempdir().unwrap();
    let home_text = home.path().to_str().unwrap();
    assert_eq!(
        project_id(&logged_run(Some(&project), &[("HOME", home_text)])),
        "",
        "another user chooses nobody's projectID"
    );
    let global = home.path().join(".gitconfig");
    let listed = std::fs::canonicalize(&project).unwrap();
    std::fs::write(
        &global,
        format!("[safe]\n\tdirectory = {}\n", listed.display()),
    )
    .unwrap();
    assert_eq!(
        project_id(&logged_run(Some(&project), &[("HOME", home_text)])),
        WERF
    );
    std::fs::write(&global, "[safe]\n\tdirectory = *\n\tdirectory =\n").unwrap();
    assert_eq!(
        project_id(&logged_run(Some(&project), &[("HOME", home_text)])),
        "",
        "an empty value forgets the ones before it"
    );
}

#[test]
fn a_log_file_that_blocks_never_stops_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.jsonl");
    mkfifo(&fifo);
    let collector = Collector::start(Behaviour::Accept);
    logged_run(
        None,
        &[
            ("WERF_TELEMETRY_LOG_FILE", fifo.to_str().unwrap()),
            ("WERF_TELEMETRY_TRACE_URL", &collector.endpoint()),
        ],
    );
    assert_eq!(spans(&collector), EVENTS, "a FIFO without a reader");

    let locked = dir.path().join("locked.jsonl");
    let holder = std::fs::File::create(&locked).unwrap();
    holder.lock().unwrap();
    let collector = Collector::start(Behaviour::Accept);
    logged_run(
        None,
        &[
            ("WERF_TELEMETRY_LOG_FILE", locked.to_str().unwrap()),
            ("WERF_TELEMETRY_TRACE_URL", &collector.endpoint()),
            // The log file never gets its lines: the deadline ends the run, a short one here.
            (SHUTDOWN_TIMEOUT, "2000"),
        ],
    );
    assert_eq!(
        spans(&collector),
        EVENTS,
        "a file another process holds locked"
    );
    holder.unlock().unwrap();
}

#[test]
fn thousands_of_malformed_variables_cost_a_few_lines_and_no_event() {
    let names: Vec<String> = (0..3000)
        .map(|index| format!("WERF_TELEMETRY_EXTRA_ATTRIBUTE_{index:04}"))
        .collect();
    let vars: Vec<(&str, &str)> = names
        .iter()
        .map(|name| (name.as_str(), "no-equals-sign"))
        .collect();
    let lines = logged_run(None, &vars);
    assert_eq!(event_count(&lines), EVENTS);
    let diagnostics = diagnostics(&lines);
    assert_eq!(diagnostics.len(), 6, "{diagnostics:?}");
    assert_eq!(
        diagnostics[0].1,
        "WERF_TELEMETRY_EXTRA_ATTRIBUTE_0000: expected `key=value`; ignored"
    );
    assert_eq!(
        diagnostics[5],
        (
            "configuration".to_owned(),
            "2995 more configuration diagnostic(s) like the 5 above were not written".to_owned()
        )
    );
}

#[test]
fn the_log_file_is_never_a_symlink_and_always_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("someone-elses.jsonl");
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let collector = Collector::start(Behaviour::Accept);
    let link_text = link.to_str().unwrap().to_owned();
    let endpoint = collector.endpoint();
    let vars = [
        ("WERF_TELEMETRY_LOG_FILE", link_text.as_str()),
        ("WERF_TELEMETRY_TRACE_URL", endpoint.as_str()),
    ];
    logged_run(None, &vars);
    assert!(
        !target.exists(),
        "nothing created through a dangling symlink"
    );
    std::fs::write(&target, "theirs\n").unwrap();
    logged_run(None, &vars);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "theirs\n");
    assert_eq!(spans(&collector), 2 * EVENTS, "the network does not care");

    let shared = dir.path().join("shared.jsonl");
    std::fs::write(&shared, "").unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o644)).unwrap();
    logged_run(
        None,
        &[("WERF_TELEMETRY_LOG_FILE", shared.to_str().unwrap())],
    );
    assert_eq!(
        std::fs::metadata(&shared).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let lines = log_lines(&shared);
    assert!(has_diagnostic(
        &lines,
        "configuration",
        "now readable by its owner only"
    ));
    assert_eq!(event_count(&lines), EVENTS);
}

#[test]
fn secrets_in_urls_never_reach_the_log() {
    let refused = refused_endpoint().replace("http://", "http://alice:endpoint-secret@");
    let lines = logged_run(None, &[("WERF_TELEMETRY_TRACE_URL", &refused)]);
    let text = serde_json::to_string(&lines).unwrap();
    assert!(
        has_diagnostic(&lines, "delivery", "http://***@127.0.0.1"),
        "{text}"
    );
    assert!(!text.contains("endpoint-secret"), "{text}");

    let proxy = Collector::start(Behaviour::Status(403));
    let with_password = proxy
        .address()
        .replace("http://", "http://bob:proxy-secret@");
    for proxy_value in [
        with_password.as_str(),
        "socks4://carol:proxy-secret@127.0.0.1:1",
    ] {
        let lines = logged_run(
            None,
            &[
                ("WERF_TELEMETRY_TRACE_URL", &unresolvable_endpoint()),
                ("HTTPS_PROXY", proxy_value),
            ],
        );
        let text = serde_json::to_string(&lines).unwrap();
        assert!(!diagnostics(&lines).is_empty(), "{text}");
        assert!(!text.contains("proxy-secret"), "{text}");
    }
    assert!(
        !proxy.requests().is_empty(),
        "the proxy with a password was used"
    );
}
