//! Events per second the receiver takes over loopback, in requests of 100 events (werf's
//! `StageBuildFinished`, OTLP/HTTP protobuf) from several clients on keep-alive connections, in
//! four modes side by side, alternated over rounds: decoding only; decoding and checking against
//! the schema; decoding and storing durably without checking; and everything (what `serve`
//! does). Once with 4 clients and once with 16: a request is answered only once its events are
//! on disk, and the more requests wait at once, the more share one `fsync`.
//!
//! `cargo bench -p telemetry-benches --bench receive` (release). Prints each mode's median
//! rate, its ratio to decoding only (of the medians, and within each round, where the machine's
//! drift cancels out), and how long the disk took to flush an append of one request's lines in
//! the same run: with few clients, storing durably is bound by it.
//! `RECEIVE_BENCH_DATA=DIR` stores under DIR instead of the system's temporary folder (a tmpfs
//! there shows what storing costs without the disk's flush).

#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]
#![allow(clippy::print_stdout, reason = "a benchmark reports")]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message as _;
use telemetry_receiver::{Options, Running};

/// The allocator `telemetry-receiver serve` runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REQUESTS: usize = 1_200;
const EVENTS_PER_REQUEST: usize = 100;
const ROUNDS: usize = 7;

fn main() {
    let modes = [
        ("decode only", false, false),
        ("decode and check", true, false),
        ("decode and store durably, no check", false, true),
        ("everything: decode, check, store durably", true, true),
    ];
    let bodies: Vec<Vec<u8>> = (0..REQUESTS).map(body).collect();
    let parent =
        std::env::var_os("RECEIVE_BENCH_DATA").map_or_else(std::env::temp_dir, PathBuf::from);
    let median = |rates: &mut Vec<f64>| {
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let mut summary = Vec::new();
    for clients in [4, 16] {
        let mut rates: Vec<Vec<f64>> = vec![Vec::new(); modes.len()];
        let mut flushes = Vec::new();
        for round in 0..ROUNDS {
            flushes.extend(flush_times(&parent));
            for (index, (name, validate, store)) in modes.iter().enumerate() {
                let rate = measure(*validate, *store, &bodies, clients, &parent);
                println!("{clients} clients, round {round}: {name}: {rate:.0} events/s");
                rates[index].push(rate);
            }
        }
        let baseline = median(&mut rates[0].clone());
        let flush = median(&mut flushes);
        summary.push(format!(
            "{clients} clients, {REQUESTS} requests of {EVENTS_PER_REQUEST} events, median of {ROUNDS} rounds \
             (the disk's flush of one request's lines: median {:.2} ms):",
            flush * 1e3
        ));
        for ((name, _, _), mode_rates) in modes.iter().zip(&rates) {
            // The machine drifts between rounds; a ratio within one round does not.
            let mut within: Vec<f64> = mode_rates
                .iter()
                .zip(&rates[0])
                .map(|(rate, decoding)| rate / decoding)
                .collect();
            let rate = median(&mut mode_rates.clone());
            let ratio = median(&mut within);
            summary.push(format!(
                "  {name}: {rate:.0} events/s ({:.2}x decode only; within rounds {ratio:.2}x, {:.2}x to {:.2}x)",
                rate / baseline,
                within[0],
                within[within.len() - 1],
            ));
        }
    }
    println!("\n{}", summary.join("\n"));
}

/// How long `fdatasync` took, in seconds, after each of 20 appends of one request's lines to a
/// file in `parent`: what each group of requests waits for before it is answered.
fn flush_times(parent: &Path) -> Vec<f64> {
    let folder = tempfile::tempdir_in(parent).unwrap();
    let mut file = std::fs::File::create(folder.path().join("probe.jsonl")).unwrap();
    let example = telemetry_core::werf::examples::stage_build_finished();
    let mut line = Vec::new();
    telemetry_core::EnvelopeEncoder::new(&example.context)
        .encode(example.ts, &example.event, &mut line)
        .unwrap();
    let lines = vec![b'x'; EVENTS_PER_REQUEST * (line.len() + 1)];
    (0..20)
        .map(|_| {
            let started = Instant::now();
            file.write_all(&lines).unwrap();
            file.sync_data().unwrap();
            started.elapsed().as_secs_f64()
        })
        .collect()
}

/// Events per second one receiver took in `mode`, storing under `parent`.
fn measure(validate: bool, store: bool, bodies: &[Vec<u8>], clients: usize, parent: &Path) -> f64 {
    let data = tempfile::tempdir_in(parent).unwrap();
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let running = Running::start(
        &schemas,
        data.path(),
        &Options {
            listen: ([127, 0, 0, 1], 0).into(),
            validate,
            store,
            limits: telemetry_receiver::Limits {
                max_in_flight: 64,
                ..telemetry_receiver::Limits::default()
            },
            ..Options::default()
        },
    )
    .unwrap();
    let url = running.endpoint();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for client in bodies.chunks(bodies.len().div_ceil(clients)) {
            let url = url.clone();
            scope.spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .timeout_global(Some(Duration::from_mins(1)))
                    .build()
                    .into();
                for body in client {
                    let mut response = agent
                        .post(&url)
                        .header("Content-Type", "application/x-protobuf")
                        .send(&body[..])
                        .unwrap();
                    let _ = response.body_mut().read_to_vec().unwrap();
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let counts = running.stop();
    let expected = (bodies.len() * EVENTS_PER_REQUEST) as u64;
    assert_eq!(counts.stored, expected, "every event taken");
    #[allow(clippy::cast_precision_loss, reason = "far below 2^52 events")]
    let events = expected as f64;
    events / elapsed.as_secs_f64()
}

/// Request `index`: 100 `StageBuildFinished` events, each with its own timestamp.
fn body(index: usize) -> Vec<u8> {
    let example = telemetry_core::werf::examples::stage_build_finished();
    let encoder = telemetry_core::EnvelopeEncoder::new(&example.context);
    let spans = (0..EVENTS_PER_REQUEST)
        .map(|event| {
            let ts = example.ts + (index * EVENTS_PER_REQUEST + event) as u64;
            let mut line = Vec::new();
            let data = encoder.encode(ts, &example.event, &mut line).unwrap();
            let event_data = String::from_utf8(line[data].to_vec()).unwrap();
            let context = &example.context;
            let string = |text: &str| Any::StringValue(text.to_owned());
            let attributes = [
                ("ts", Any::IntValue(i64::try_from(ts).unwrap())),
                ("executionID", string(&context.execution_id)),
                ("userID", string(&context.user_id)),
                ("projectID", string(&context.project_id)),
                ("command", string(&context.command)),
                ("eventType", string("StageBuildFinished")),
                ("eventData", Any::StringValue(event_data)),
                ("attributes", string(encoder.attributes_json())),
                ("schemaVersion", Any::IntValue(2)),
            ]
            .into_iter()
            .map(|(key, value)| KeyValue {
                key: key.into(),
                value: Some(AnyValue { value: Some(value) }),
                ..KeyValue::default()
            })
            .collect();
            Span {
                trace_id: vec![1; 16],
                span_id: vec![2; 8],
                name: "telemetry.werf.io".into(),
                kind: 1,
                attributes,
                ..Span::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
    .encode_to_vec()
}
