use telemetry_core::{Envelope, TelemetryEvent};

/// Image build started.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = example, colour = 3)]
pub struct BuildStarted {
    /// Number of images to build.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    pub images_count: u32,
}

fn example() -> Envelope<BuildStarted> {
    Envelope::new(&Default::default(), 0, BuildStarted { images_count: 1 })
}

// The derive's error stands alone: the stub impl keeps these uses compiling.
const _: &str = BuildStarted::EVENT_TYPE;
const _: u32 = BuildStarted::SCHEMA_VERSION;

fn main() {}
