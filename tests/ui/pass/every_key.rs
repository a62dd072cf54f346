use telemetry_core::{Context, Envelope, TelemetryEvent};

mod examples {
    use super::{Deployed, Envelope};

    pub fn first() -> Envelope<Deployed> {
        Envelope::new(&telemetry_core::Context::default(), 1, Deployed { releases: 1 })
    }

    pub fn second() -> Envelope<Deployed> {
        Envelope::new(&telemetry_core::Context::default(), 2, Deployed { releases: 2 })
    }
}

/// A release was deployed.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 7, event_type = "ReleaseDeployed")]
#[telemetry(unreleased, example = examples::first, example = crate::examples::second)]
pub struct Deployed {
    /// How many releases were deployed.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    pub releases: u32,
}

/// An event whose name is a raw identifier.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = r#match)]
pub struct r#Match {
    /// Whether it matched.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    pub r#type: bool,
}

fn r#match() -> Envelope<r#Match> {
    Envelope::new(&Context::default(), 0, r#Match { r#type: true })
}

/// An event with no fields.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = nothing)]
pub struct Nothing {}

fn nothing() -> Envelope<Nothing> {
    Envelope::new(&Context::default(), 0, Nothing {})
}

fn main() {
    assert_eq!(Deployed::EVENT_TYPE, "ReleaseDeployed");
    assert_eq!(Deployed::SCHEMA_VERSION, 7);
    assert!(Deployed::UNRELEASED);
    assert_eq!(Deployed::examples().len(), 2);
    assert_eq!(r#Match::EVENT_TYPE, "Match");
    assert!(!r#Match::UNRELEASED);
    assert_eq!(Nothing::examples()[0].ts, 0);
}
