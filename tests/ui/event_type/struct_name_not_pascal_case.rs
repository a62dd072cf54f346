use telemetry_core::{Envelope, TelemetryEvent};

/// Image build started.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = example)]
#[allow(non_camel_case_types)]
pub struct build_started {
    /// Number of images to build.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    pub images_count: u32,
}

fn example() -> Envelope<build_started> {
    Envelope::new(&Default::default(), 0, build_started { images_count: 1 })
}

fn main() {}
