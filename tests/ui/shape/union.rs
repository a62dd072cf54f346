use telemetry_core::TelemetryEvent;

/// Not a struct.
#[derive(TelemetryEvent)]
#[telemetry(version = 1, example = example)]
pub union BuildStarted {
    /// One.
    one: u32,
}

fn example() -> telemetry_core::Envelope<BuildStarted> {
    unimplemented!()
}

fn main() {}
