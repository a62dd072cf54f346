//! What telemetry costs a run when the network fails: starting, emitting one event and shutting
//! down, for each fault, against the same with telemetry disabled. werf waits up to its 1.3 s
//! export timeout when the collector never answers; the budget here is
//! `Settings::shutdown_timeout` (250 ms), whatever the fault.

#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

#[path = "../tests/support/collector.rs"]
mod collector;

use std::time::Duration;

use collector::{Behaviour, Collector, UNRESOLVABLE_ENDPOINT, refused_endpoint};
use telemetry_core::werf::CommandExited;
use telemetry_core::{Settings, Telemetry};

fn main() {
    divan::main();
}

fn run(endpoint: Option<String>, vars: Vec<(std::ffi::OsString, std::ffi::OsString)>) {
    let telemetry = Telemetry::builder(Settings {
        endpoint,
        ..Settings::new("BENCH", "bench", "1.0.0")
    })
    .vars(vars)
    .build();
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 1,
    });
    telemetry.shutdown();
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn baseline_telemetry_disabled(bencher: divan::Bencher<'_, '_>) {
    bencher.bench_local(|| run(None, vec![("BENCH_TELEMETRY".into(), "0".into())]));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn black_holed_endpoint(bencher: divan::Bencher<'_, '_>) {
    let silent = Collector::start(Behaviour::Silent);
    bencher.bench_local(|| run(Some(silent.endpoint()), Vec::new()));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn connection_refused(bencher: divan::Bencher<'_, '_>) {
    let endpoint = refused_endpoint();
    bencher.bench_local(|| run(Some(endpoint.clone()), Vec::new()));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn slow_answer(bencher: divan::Bencher<'_, '_>) {
    let slow = Collector::start(Behaviour::Slow(Duration::from_secs(3)));
    bencher.bench_local(|| run(Some(slow.endpoint()), Vec::new()));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn http_500(bencher: divan::Bencher<'_, '_>) {
    let failing = Collector::start(Behaviour::Status(500));
    bencher.bench_local(|| run(Some(failing.endpoint()), Vec::new()));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn garbage_response(bencher: divan::Bencher<'_, '_>) {
    let garbage = Collector::start(Behaviour::Garbage);
    bencher.bench_local(|| run(Some(garbage.endpoint()), Vec::new()));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn unresolvable_host(bencher: divan::Bencher<'_, '_>) {
    bencher.bench_local(|| run(Some(UNRESOLVABLE_ENDPOINT.to_owned()), Vec::new()));
}
