use telemetry_core::TelemetryEvent;

/// One shape per event, not one per `T`.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = example)]
pub struct BuildStarted<T> {
    /// The payload.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    pub value: T,
}

fn example() -> telemetry_core::Envelope<BuildStarted<u32>> {
    unimplemented!()
}

fn main() {}
