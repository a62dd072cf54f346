//! Events per second delivered over OTLP/HTTP to a collector on 127.0.0.1.
//!
//! Each iteration starts telemetry, emits the events and shuts down, which waits for the
//! collector to have them all: the figure is end-to-end delivery, batching included.

#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

#[path = "../tests/support/collector.rs"]
mod collector;

use std::time::Duration;

use collector::{Behaviour, Collector};
use telemetry_core::werf::StageBuildFinished;
use telemetry_core::{Settings, Telemetry};

fn main() {
    divan::main();
}

#[divan::bench(args = [100, 1_000, 10_000], sample_count = 10)]
fn delivered_to_loopback(bencher: divan::Bencher<'_, '_>, events: usize) {
    let collector = Collector::start(Behaviour::Accept);
    let event = telemetry_core::werf::examples::stage_build_finished().event;
    bencher
        .counter(divan::counter::ItemsCount::new(events))
        .bench_local(|| {
            let telemetry = Telemetry::builder(Settings {
                endpoint: Some(collector.endpoint()),
                queue_capacity: events,
                shutdown_timeout: Duration::from_secs(30),
                ..Settings::new("BENCH", "bench", "1.0.0")
            })
            .vars(Vec::new())
            .build();
            for _ in 0..events {
                telemetry.emit(StageBuildFinished::clone(&event));
            }
            telemetry.shutdown();
        });
    let delivered: usize = collector
        .requests()
        .iter()
        .map(collector::Request::span_count)
        .sum();
    // Each iteration starts afresh, so a loss in any of them leaves a remainder (or nothing).
    assert!(
        delivered > 0 && delivered.is_multiple_of(events),
        "every event of every iteration arrived"
    );
}
