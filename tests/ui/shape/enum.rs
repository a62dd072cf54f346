use telemetry_core::TelemetryEvent;

/// Not a struct.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = example)]
pub enum BuildStarted {
    /// One.
    One,
}

fn example() -> telemetry_core::Envelope<BuildStarted> {
    unimplemented!()
}

fn main() {}
