//! The JSON Schema of an event's envelope, as schemars makes it with this generator's settings
//! and transforms, titled after the event; and the two questions every renderer asks of a
//! schema: what a local `$ref` points at, and whether schemars renamed a definition.

use schemars::Schema;
use schemars::generate::SchemaSettings;
use serde_json::Value;
use telemetry_core::TelemetryEvent;
use telemetry_core::registry::EventRegistration;

use super::transform;

/// The schema settings every event schema is generated with: draft 2020-12, describing what is
/// serialised (so `#[serde(default)]` fields stay required), objects closed, closed value sets
/// as `enum`s.
pub fn settings() -> SchemaSettings {
    transform::all().into_iter().fold(
        SchemaSettings::draft2020_12().for_serialize(),
        SchemaSettings::with_transform,
    )
}

/// The JSON Schema of a whole envelope carrying `E`.
///
/// `eventType` and `schemaVersion` are constants and `eventData` is `E`'s schema. Every object
/// is closed except `attributes.extra`; `required` lists exactly the keys always emitted;
/// descriptions come from doc comments.
pub fn event_schema<E: TelemetryEvent>() -> Value {
    registered_event_schema(&EventRegistration::of::<E>(std::any::type_name::<E>()))
}

/// The JSON Schema of the envelope of a registered event; the same as [`event_schema`].
pub fn registered_event_schema(event: &EventRegistration) -> Value {
    finish(event.envelope_schema(settings()))
}

/// Titles the root after the event and gives it the event's description.
fn finish(schema: Schema) -> Value {
    let mut schema = schema.to_value();
    let event_type = schema.pointer("/properties/eventType/const").cloned();
    let version = schema.pointer("/properties/schemaVersion/const").cloned();
    let description = schema
        .pointer("/properties/eventData")
        .and_then(|event_data| resolve(&schema, event_data))
        .and_then(|event_data| event_data.get("description"))
        .cloned();
    if let (Some(Value::String(event_type)), Some(version), Some(root)) =
        (event_type, version, schema.as_object_mut())
    {
        root.insert("title".into(), format!("{event_type} v{version}").into());
        if let Some(description) = description {
            root.insert("description".into(), description);
        }
    }
    schema
}

/// Follows a local `$ref` (`#/...`) within `root`; a schema without `$ref` is returned as is.
pub(crate) fn resolve<'a>(root: &'a Value, schema: &'a Value) -> Option<&'a Value> {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => root.pointer(reference.strip_prefix('#')?),
        None => Some(schema),
    }
}

/// Definitions that schemars renamed to avoid a collision: two different types with the same
/// name get `Name` and `Name2`, and which one gets which depends on traversal order, so the
/// published schema would change meaning silently. Returns `(renamed, original)` pairs.
///
/// A type genuinely named like `Name2` next to a `Name` is reported too; give either an
/// explicit name with `#[schemars(rename = "...")]`.
pub fn colliding_definitions(schema: &Value) -> Vec<(String, String)> {
    let Some(definitions) = schema.get("$defs").and_then(Value::as_object) else {
        return Vec::new();
    };
    definitions
        .keys()
        .filter_map(|name| {
            let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
            (base.len() < name.len() && definitions.contains_key(base))
                .then(|| (name.clone(), base.to_owned()))
        })
        .collect()
}
