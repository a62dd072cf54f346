//! The repository's committed log-line schema as a validator, with the stream schema it refers
//! to by `$id`: what the tests that read log files check every line with.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test crate uses part of it; the tests crate re-exports it"
)]

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

/// The validator, built once per test binary.
///
/// # Panics
///
/// When the committed schemas are not there or do not compile.
pub fn log_line_validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
        let read = |name: &str| -> Value {
            let text = std::fs::read_to_string(schemas.join(name)).expect("a committed schema");
            serde_json::from_str(&text).expect("JSON")
        };
        let stream = read("telemetry.schema.json");
        let id = stream["$id"].as_str().expect("an $id").to_owned();
        let registry = jsonschema::Registry::new()
            .add(id, stream)
            .and_then(jsonschema::RegistryBuilder::prepare)
            .expect("the stream schema registers");
        jsonschema::options()
            .with_registry(&registry)
            .build(&read("log-line.schema.json"))
            .expect("the log-line schema compiles")
    })
}
