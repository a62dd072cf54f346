use telemetry_core::TelemetryEvent;

/// Fields without names.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = example)]
pub struct BuildStarted(u32, bool);

fn example() -> telemetry_core::Envelope<BuildStarted> {
    unimplemented!()
}

fn main() {}
