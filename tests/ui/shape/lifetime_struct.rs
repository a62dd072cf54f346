use telemetry_core::TelemetryEvent;

/// Events own their data.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = example)]
pub struct BuildStarted<'a> {
    /// The image.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    pub image: &'a str,
}

fn example() -> telemetry_core::Envelope<BuildStarted<'static>> {
    unimplemented!()
}

fn main() {}
