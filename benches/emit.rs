//! `emit` on the caller's thread.
//!
//! - disabled, against an empty function call taking the same event;
//! - enabled with a log file and the OTLP transport to a collector on 127.0.0.1, against
//!   serialising the envelope inline (what an `emit` without a background thread would cost);
//! - enabled with the background thread stuck (a sink that never returns, a full queue): `emit`
//!   must still return at once.

#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

#[path = "../tests/support/collector.rs"]
mod collector;

use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use collector::{Behaviour, Collector};
use divan::black_box;
use telemetry_core::sink::{EncodedEvent, Sink, SinkError};
use telemetry_core::werf::{CommandExited, StageBuildFinished, examples};
use telemetry_core::{Envelope, Settings, Telemetry};

fn main() {
    divan::main();
}

fn small_event() -> CommandExited {
    CommandExited {
        exit_code: 0,
        duration_ms: 1,
    }
}

#[inline(never)]
fn empty_function(event: CommandExited) {
    black_box(event);
}

#[divan::bench]
fn baseline_empty_function_call(bencher: divan::Bencher<'_, '_>) {
    bencher.bench_local(|| empty_function(black_box(small_event())));
}

#[divan::bench]
fn emit_disabled(bencher: divan::Bencher<'_, '_>) {
    let telemetry = Telemetry::disabled();
    bencher.bench_local(|| black_box(&telemetry).emit(black_box(small_event())));
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis().try_into().unwrap_or(0))
}

#[divan::bench]
fn baseline_serialise_inline(bencher: divan::Bencher<'_, '_>) {
    let fixture = examples::stage_build_finished();
    bencher.bench_local(|| {
        let envelope = Envelope::new(
            &fixture.context,
            now_ms(),
            black_box(&fixture.event).clone(),
        );
        black_box(serde_json::to_vec(&envelope).unwrap());
    });
}

#[divan::bench(sample_count = 100, sample_size = 100)]
fn emit_enabled_log_file_and_transport(bencher: divan::Bencher<'_, '_>) {
    let collector = Collector::start(Behaviour::Accept);
    let dir = tempfile::tempdir().unwrap();
    let telemetry = Telemetry::builder(Settings {
        endpoint: Some(collector.endpoint()),
        queue_capacity: 100_000,
        shutdown_timeout: Duration::from_secs(10),
        ..Settings::new("BENCH", "bench", "1.0.0")
    })
    .vars([(
        "BENCH_TELEMETRY_LOG_FILE".into(),
        dir.path().join("telemetry.jsonl").into(),
    )])
    .build();
    let event: StageBuildFinished = examples::stage_build_finished().event;
    bencher.bench_local(|| telemetry.emit(black_box(&event).clone()));
    telemetry.shutdown();
}

/// A sink that blocks until the process ends.
struct Stuck(mpsc::Receiver<()>);

impl Sink for Stuck {
    fn deliver(&mut self, _: &EncodedEvent<'_>) -> Result<(), SinkError> {
        let _ = self.0.recv();
        Ok(())
    }
}

#[divan::bench]
fn emit_enabled_sender_stuck(bencher: divan::Bencher<'_, '_>) {
    let (_never, stuck) = mpsc::channel();
    let telemetry = Telemetry::builder(Settings {
        queue_capacity: 16,
        ..Settings::new("BENCH", "bench", "1.0.0")
    })
    .vars(Vec::new())
    .sink(Stuck(stuck))
    .build();
    let event: StageBuildFinished = examples::stage_build_finished().event;
    bencher.bench_local(|| telemetry.emit(black_box(&event).clone()));
    // The stuck sink never returns: leave the telemetry (and its thread) to the process's end.
    std::mem::forget(telemetry);
}
