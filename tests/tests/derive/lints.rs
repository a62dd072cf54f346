//! Derived code is clean under strict lints: `rustc` checks the first group on every
//! `cargo test`, clippy the rest in CI (`cargo clippy --all-targets -- -D warnings`).

#![forbid(unsafe_code)]
#![deny(
    warnings,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    unused_qualifications,
    unused_results,
    unused_import_braces,
    single_use_lifetimes,
    trivial_casts,
    trivial_numeric_casts,
    elided_lifetimes_in_paths,
    rust_2018_idioms,
    future_incompatible,
    nonstandard_style
)]
#![deny(
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::shadow_unrelated,
    clippy::missing_docs_in_private_items,
    clippy::default_trait_access,
    clippy::redundant_pub_crate
)]

use telemetry_core::{Context, Envelope, TelemetryEvent};

/// A deployment finished.
#[derive(Debug, serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[serde(rename_all = "camelCase")]
#[telemetry(version = 4, event_type = "Deployed", unreleased, example = deployed)]
pub struct DeployFinished {
    /// How long the deployment took, in milliseconds.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    pub duration_ms: u64,
    /// The releases deployed.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    pub releases: Vec<String>,
}

/// The documented example of [`DeployFinished`].
fn deployed() -> Envelope<DeployFinished> {
    Envelope::new(
        &Context::default(),
        1,
        DeployFinished {
            duration_ms: 2,
            releases: vec!["web".to_owned()],
        },
    )
}

#[test]
fn strictly_linted_event_works() {
    assert_eq!(DeployFinished::EVENT_TYPE, "Deployed");
    const { assert!(DeployFinished::UNRELEASED) };
    assert_eq!(
        DeployFinished::examples().first().map(|example| example.ts),
        Some(1)
    );
}
