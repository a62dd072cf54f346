use telemetry_core::TelemetryEvent;

/// No fields at all.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = example)]
pub struct BuildStarted;

fn example() -> telemetry_core::Envelope<BuildStarted> {
    unimplemented!()
}

fn main() {}
