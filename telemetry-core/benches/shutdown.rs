//! What telemetry costs a run whose collector never answers (a black-holed network): starting,
//! emitting one event and shutting down, against the same with telemetry disabled. werf waits
//! up to its 1.3 s export timeout here; the budget is `Settings::shutdown_timeout` (250 ms).

#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

#[path = "../tests/support/collector.rs"]
mod collector;

use collector::{Behaviour, Collector};
use telemetry_core::events::CommandExited;
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
