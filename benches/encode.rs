//! Serialising one `Envelope<StageBuildFinished>` to JSON bytes.
//!
//! Baseline: a plain `#[derive(Serialize)]` struct of the identical JSON shape, built (the run's
//! context cloned into it, as `Envelope::new` does) and serialised per event. Against it:
//! `EnvelopeEncoder`, which serialised the context once, and for reference `Envelope` through
//! `serde_json`. All three write into a reused buffer and produce the same bytes.

#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::collections::BTreeMap;

use divan::black_box;
use serde::Serialize;
use telemetry_core::werf::{StageBuildFinished, examples};
use telemetry_core::{Context, Envelope, EnvelopeEncoder};

fn main() {
    let fixture = examples::stage_build_finished();
    let plain = serde_json::to_vec(&PlainEnvelope::build(
        &fixture.context,
        fixture.ts,
        &fixture.event,
    ))
    .unwrap();
    assert_eq!(
        plain,
        serde_json::to_vec(&fixture).unwrap(),
        "the baseline has the identical shape"
    );
    divan::main();
}

/// The envelope as a plain derived struct.
#[derive(Serialize)]
struct PlainEnvelope<'a> {
    ts: u64,
    #[serde(rename = "executionID")]
    execution_id: String,
    #[serde(rename = "userID")]
    user_id: String,
    #[serde(rename = "projectID")]
    project_id: String,
    command: String,
    attributes: PlainAttributes,
    #[serde(rename = "eventType")]
    event_type: &'static str,
    #[serde(rename = "eventData")]
    event_data: &'a StageBuildFinished,
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlainAttributes {
    arch: String,
    os: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_channel: Option<String>,
    version: String,
    ci: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    ci_name: Option<String>,
    extra: BTreeMap<String, String>,
}

impl<'a> PlainEnvelope<'a> {
    fn build(context: &Context, ts: u64, event: &'a StageBuildFinished) -> Self {
        let attributes = &context.attributes;
        PlainEnvelope {
            ts,
            execution_id: context.execution_id.clone(),
            user_id: context.user_id.clone(),
            project_id: context.project_id.clone(),
            command: context.command.clone(),
            attributes: PlainAttributes {
                arch: attributes.arch.clone(),
                os: attributes.os.clone(),
                group_channel: attributes.group_channel.clone(),
                version: attributes.version.clone(),
                ci: attributes.ci,
                ci_name: attributes.ci_name.clone(),
                extra: attributes.extra.clone(),
            },
            event_type: "StageBuildFinished",
            event_data: event,
            schema_version: 2,
        }
    }
}

#[divan::bench]
fn baseline_plain_struct_built_per_event(bencher: divan::Bencher<'_, '_>) {
    let fixture = examples::stage_build_finished();
    let mut out = Vec::with_capacity(1024);
    bencher.bench_local(|| {
        out.clear();
        let envelope = PlainEnvelope::build(
            black_box(&fixture.context),
            black_box(fixture.ts),
            &fixture.event,
        );
        serde_json::to_writer(&mut out, &envelope).unwrap();
        black_box(&out);
    });
}

#[divan::bench]
fn envelope_through_serde_json(bencher: divan::Bencher<'_, '_>) {
    let fixture = examples::stage_build_finished();
    let mut out = Vec::with_capacity(1024);
    bencher.bench_local(|| {
        out.clear();
        let envelope = Envelope::new(
            black_box(&fixture.context),
            black_box(fixture.ts),
            fixture.event.clone(),
        );
        serde_json::to_writer(&mut out, &envelope).unwrap();
        black_box(&out);
    });
}

#[divan::bench]
fn envelope_encoder(bencher: divan::Bencher<'_, '_>) {
    let fixture = examples::stage_build_finished();
    let encoder = EnvelopeEncoder::new(&fixture.context);
    let mut out = Vec::with_capacity(1024);
    bencher.bench_local(|| {
        out.clear();
        encoder
            .encode(black_box(fixture.ts), black_box(&fixture.event), &mut out)
            .unwrap();
        black_box(&out);
    });
}
