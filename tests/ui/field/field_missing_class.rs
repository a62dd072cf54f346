use telemetry_core::{Envelope, TelemetryEvent};

/// Image build started.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = example)]
pub struct BuildStarted {
    /// Number of images to build.
    #[telemetry(purpose = feature_insight)]
    pub images_count: u32,
}

fn example() -> Envelope<BuildStarted> {
    Envelope::example("acme build", BuildStarted { images_count: 1 })
}

fn main() {}
