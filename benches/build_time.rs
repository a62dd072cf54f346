//! Build time of a crate with 200 events, against the same structs with only `Serialize` and
//! `JsonSchema` derived: with `#[derive(TelemetryEvent)]` and `telemetry-core`'s default
//! `registry` feature (what tools build), and without the registry (what a program that only
//! sends events builds).
//!
//! Each round rebuilds every crate from its source (dependencies already built, incremental
//! compilation off, so the whole crate is compiled), alternating the crates so that machine
//! noise hits them alike; the figure is each crate's median, and its ratio to the baseline's.
//! Run with `cargo bench -p telemetry-benches --bench build_time`; it takes about a minute.

use std::time::Duration;

use telemetry_benches::event_crate::{Derives, build, median, workspace_root, write_crate};

const EVENTS: usize = 200;
const ROUNDS: usize = 7;

fn main() {
    let dir = workspace_root().join("target/bench-build-time");
    let target = dir.join("target");
    let crates = [
        (
            "baseline: Serialize + JsonSchema",
            write_crate(&dir, "plain", EVENTS, Derives::Plain, None),
        ),
        (
            "baseline, each event serialised once",
            write_crate(&dir, "serialized", EVENTS, Derives::Serialized, None),
        ),
        (
            "TelemetryEvent, no registry",
            write_crate(
                &dir,
                "telemetry_without_registry",
                EVENTS,
                Derives::Telemetry { registry: false },
                None,
            ),
        ),
        (
            "TelemetryEvent, registry (default)",
            write_crate(
                &dir,
                "telemetry_with_registry",
                EVENTS,
                Derives::Telemetry { registry: true },
                None,
            ),
        ),
    ];
    // Dependencies first, once.
    for (_, path) in &crates {
        build(path, &target, false, false);
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); crates.len()];
    for _ in 0..ROUNDS {
        for ((_, path), samples) in crates.iter().zip(&mut samples) {
            let source = path.join("src/lib.rs");
            let text = std::fs::read_to_string(&source).expect("the source");
            std::fs::write(&source, text).expect("touch the source");
            samples.push(build(path, &target, false, false));
        }
    }
    let medians: Vec<Duration> = samples.into_iter().map(median).collect();
    println!(
        "build time of a crate with {EVENTS} events (median of {ROUNDS}, full rebuild of the crate)"
    );
    for ((label, _), time) in crates.iter().zip(&medians) {
        let ratio = time.as_secs_f64() / medians[0].as_secs_f64();
        println!("  {label:<38} {:>7.3} s  {ratio:.2}x", time.as_secs_f64());
    }
    // The registry must compile each event's serialisation once to render its examples: its
    // own cost is what it adds over the baseline that does just that.
    if let (Some(serialized), Some(registry)) = (medians.get(1), medians.last()) {
        println!(
            "  registry over the serialised baseline: {:.2}x",
            registry.as_secs_f64() / serialized.as_secs_f64()
        );
    }
}
