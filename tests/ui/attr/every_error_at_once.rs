use telemetry_core::{Envelope, TelemetryEvent};

#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = "1", event_type = "bad name", colour = 3, example = 1 + 1)]
#[telemetry(unreleased, unreleased)]
pub struct BuildStarted {
    pub images_count: u32,
}

fn example() -> Envelope<BuildStarted> {
    Envelope::new(&Default::default(), 0, BuildStarted { images_count: 1 })
}

fn main() {}
