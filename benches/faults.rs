//! What each hostile environment of the hardening tests adds to a run of the demo CLI (release
//! build, `build --images 2 --stages 3`): the median of runs with the fault against the median
//! of runs with telemetry off, in the same process, alternating so that machine noise hits both
//! alike. Everything listens on 127.0.0.1.
//!
//! Run with `cargo bench -p telemetry-benches --bench faults`.

#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

#[path = "../tests/support/collector.rs"]
mod collector;
#[path = "../tests/support/repository.rs"]
mod repository;
#[path = "../tests/support/socks.rs"]
mod socks;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use collector::{Behaviour, Collector};
use repository::{mkfifo, repository};
use socks::Socks;

const ARGS: &[&str] = &["build", "--images", "2", "--stages", "3"];
const RUNS: usize = 7;
const UNRESOLVABLE: &str = "https://this-label-is-longer-than-sixty-three-characters-so-no-dns-query-is-ever-sent.example.invalid/v1/traces";

/// Builds the demo in release and returns its path.
fn demo() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--release",
            "-p",
            "telemetry-core",
            "--features",
            "werf,clap",
            "--example",
            "demo",
        ])
        .current_dir(root)
        .status()
        .unwrap();
    assert!(status.success());
    root.join("target/release/examples/demo")
}

fn time(demo: &Path, dir: &Path, vars: &[(String, String)]) -> Duration {
    let started = Instant::now();
    let status = Command::new(demo)
        .args(ARGS)
        .env_clear()
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    started.elapsed()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// One hostile environment: its name, the directory the demo runs in, its variables.
struct Fault {
    name: &'static str,
    dir: PathBuf,
    vars: Vec<(String, String)>,
}

/// The servers and files the faults need; they live as long as the benchmark.
struct Setting {
    scratch: tempfile::TempDir,
    collector: Collector,
    silent: Collector,
    socks: Socks,
    holder: std::fs::File,
}

impl Setting {
    fn new() -> Self {
        let scratch = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(scratch.path().join("plain")).unwrap();
        mkfifo(&scratch.path().join("fifo.jsonl"));
        let holder = std::fs::File::create(scratch.path().join("locked.jsonl")).unwrap();
        holder.lock().unwrap();
        repository(&scratch.path().join("fifo-config"), mkfifo);
        repository(&scratch.path().join("huge-config"), |config| {
            std::fs::write(config, "# padding\n".repeat(5 << 20)).unwrap();
        });
        repository(&scratch.path().join("zero-config"), |config| {
            std::os::unix::fs::symlink("/dev/zero", config).unwrap();
        });
        Setting {
            scratch,
            collector: Collector::start(Behaviour::Accept),
            silent: Collector::start(Behaviour::Silent),
            socks: Socks::start(),
            holder,
        }
    }

    fn path(&self, name: &str) -> String {
        self.scratch.path().join(name).to_str().unwrap().to_owned()
    }

    fn faults(&self) -> Vec<Fault> {
        let log = self.path("telemetry.jsonl");
        let endpoint = self.collector.endpoint();
        let fault = |name, dir: &str, pairs: &[(&str, &str)]| Fault {
            name,
            dir: self.scratch.path().join(dir),
            vars: vars(pairs),
        };
        let mut malformed = fault(
            "3,000 malformed extra attributes",
            "plain",
            &[("WERF_TELEMETRY_LOG_FILE", &log)],
        );
        malformed.vars.extend((0..3000).map(|i| {
            (
                format!("WERF_TELEMETRY_EXTRA_ATTRIBUTE_{i:04}"),
                "x".to_owned(),
            )
        }));
        vec![
            fault(
                "telemetry on, log file only",
                "plain",
                &[("WERF_TELEMETRY_LOG_FILE", &log)],
            ),
            fault(
                "healthy collector on loopback",
                "plain",
                &[("WERF_TELEMETRY_TRACE_URL", &endpoint)],
            ),
            fault(
                "SOCKS5 proxy that refuses",
                "plain",
                &[
                    ("WERF_TELEMETRY_TRACE_URL", UNRESOLVABLE),
                    ("HTTPS_PROXY", &self.socks.url("socks5h")),
                ],
            ),
            fault(
                "SOCKS4 proxy (refused)",
                "plain",
                &[
                    ("WERF_TELEMETRY_TRACE_URL", UNRESOLVABLE),
                    ("HTTPS_PROXY", &self.socks.url("socks4")),
                ],
            ),
            fault(
                "malformed proxy",
                "plain",
                &[
                    ("WERF_TELEMETRY_TRACE_URL", UNRESOLVABLE),
                    ("HTTPS_PROXY", "http://[::1"),
                ],
            ),
            fault(
                "log file a FIFO without reader",
                "plain",
                &[
                    ("WERF_TELEMETRY_LOG_FILE", &self.path("fifo.jsonl")),
                    ("WERF_TELEMETRY_TRACE_URL", &endpoint),
                ],
            ),
            fault(
                "log file locked by another process",
                "plain",
                &[
                    ("WERF_TELEMETRY_LOG_FILE", &self.path("locked.jsonl")),
                    ("WERF_TELEMETRY_TRACE_URL", &endpoint),
                ],
            ),
            fault(
                ".git/config a FIFO",
                "fifo-config",
                &[("WERF_TELEMETRY_LOG_FILE", &log)],
            ),
            fault(
                ".git/config of 50 MB",
                "huge-config",
                &[("WERF_TELEMETRY_LOG_FILE", &log)],
            ),
            fault(
                ".git/config -> /dev/zero",
                "zero-config",
                &[("WERF_TELEMETRY_LOG_FILE", &log)],
            ),
            malformed,
            fault(
                "collector that never answers",
                "plain",
                &[("WERF_TELEMETRY_TRACE_URL", &self.silent.endpoint())],
            ),
        ]
    }
}

fn main() {
    let demo = demo();
    let setting = Setting::new();
    println!(
        "added run time of `demo build` (median of {RUNS}, against the same environment with \
         telemetry off, in the same rounds)"
    );
    for fault in setting.faults() {
        let mut off = fault.vars.clone();
        off.push(("WERF_TELEMETRY".to_owned(), "0".to_owned()));
        let mut baseline = Vec::new();
        let mut with = Vec::new();
        for _ in 0..RUNS {
            baseline.push(time(&demo, &fault.dir, &off));
            with.push(time(&demo, &fault.dir, &fault.vars));
        }
        let (baseline, with) = (median(baseline), median(with));
        let added = with.as_secs_f64() - baseline.as_secs_f64();
        println!(
            "  {:<38} {:>8.2} ms  (off: {:.2} ms, on: {:.2} ms)",
            fault.name,
            added * 1000.0,
            baseline.as_secs_f64() * 1000.0,
            with.as_secs_f64() * 1000.0
        );
    }
    setting.holder.unlock().unwrap();
}
