//! `cargo xtask schema --check` on 250, 500 and 1000 generated events, after the build: the
//! time of a run (process start to exit) checking files already up to date, and how it grows.
//!
//! Each size is a binary whose `main` runs `telemetry_schema::Config::run`, the code `cargo xtask
//! schema` runs, over its own generated events; built in the dev profile, as `cargo xtask`
//! builds. Run with `cargo bench -p telemetry-benches --bench schema_check`; building the
//! binaries takes a few minutes.

use std::process::Command;
use std::time::{Duration, Instant};

use telemetry_benches::event_crate::{Derives, build, median, workspace_root, write_crate};

const SIZES: [u32; 3] = [250, 500, 1000];
const RUNS: usize = 5;

/// The generated binary's `main`: `schema <dir> [--check]`, as the xtask does it.
const MAIN: &str = r#"
fn main() {
    let mut args = std::env::args().skip(1);
    let root = std::path::PathBuf::from(args.next().expect("a directory"));
    let mode = match args.next().as_deref() {
        Some("--check") => telemetry_schema::sync::Mode::Check,
        _ => telemetry_schema::sync::Mode::Write,
    };
    let report = telemetry_schema::Config::new("bench", "BENCH")
        .run(&root, mode)
        .expect("the schema job runs");
    assert!(report.problems.is_empty(), "{} problems", report.problems.len());
}
"#;

fn main() {
    let dir = workspace_root().join("target/bench-schema-check");
    let target = dir.join("target");
    let mut medians = Vec::new();
    for events in SIZES {
        let name = format!("schema_check_{events}");
        let path = write_crate(
            &dir,
            &name,
            events as usize,
            Derives::Telemetry { registry: true },
            Some(MAIN),
        );
        build(&path, &target, true, false);
        let binary = target
            .join("debug")
            .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        let output = dir.join(format!("output_{events}"));
        let _ = std::fs::remove_dir_all(&output);
        std::fs::create_dir_all(&output).expect("the output directory");
        let run = |check: bool| {
            let mut command = Command::new(&binary);
            command.arg(&output);
            if check {
                command.arg("--check");
            }
            let started = Instant::now();
            let status = command.status().expect("the generated binary runs");
            assert!(status.success(), "{name} failed");
            started.elapsed()
        };
        run(false);
        let samples: Vec<Duration> = (0..RUNS).map(|_| run(true)).collect();
        medians.push(median(samples));
    }
    println!("`schema --check`, files up to date (median of {RUNS} runs, dev profile)");
    for (events, time) in SIZES.iter().zip(&medians) {
        println!(
            "  {events:>5} events  {:>7.3} s  {:.2} ms per event",
            time.as_secs_f64(),
            time.as_secs_f64() * 1000.0 / f64::from(*events)
        );
    }
    for pair in SIZES.iter().zip(&medians).collect::<Vec<_>>().windows(2) {
        let ((small, small_time), (large, large_time)) = (pair[0], pair[1]);
        println!(
            "  {small} -> {large} events: time x{:.2} for events x{:.2}",
            large_time.as_secs_f64() / small_time.as_secs_f64(),
            f64::from(*large) / f64::from(*small)
        );
    }
}
