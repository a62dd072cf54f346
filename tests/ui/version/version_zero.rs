use telemetry_core::{Envelope, TelemetryEvent};

/// Image build started.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 0, example = example)]
pub struct BuildStarted {
    /// Number of images to build.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    pub images_count: u32,
}

fn example() -> Envelope<BuildStarted> {
    Envelope::new(&Default::default(), 0, BuildStarted { images_count: 1 })
}

fn main() {}
