//! The stream schema: one JSON Schema that accepts any payload of any known event version and
//! rejects everything else.

use serde_json::{Map, Value, json};

use crate::EventVersion;
use crate::publish::schema_comment;

/// The `$schema` of every generated schema.
pub(crate) const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// The schema of the whole stream: a payload is valid when it is valid for the event version its
/// `eventType` and `schemaVersion` name.
///
/// Each version's schema is embedded whole under `$defs["<EventType>.v<N>"]`, its own
/// definitions nested inside it and its references rewritten to match, so that versions can use
/// the same definition names for different shapes. Each branch of the `oneOf` fixes `eventType`
/// and `schemaVersion` to constants, so at most one can match.
pub fn stream_schema(versions: &[EventVersion]) -> Value {
    let mut definitions = Map::new();
    let mut branches = Vec::with_capacity(versions.len());
    let mut event_types: Vec<&str> = Vec::new();
    for version in versions {
        let key = version.key();
        let base = format!("#/$defs/{}", escape_pointer(&key));
        let mut schema = version.schema.clone();
        if let Some(object) = schema.as_object_mut() {
            // Only a resource's root may declare `$schema`. The comment says whether the version
            // is released, which is what the stream schema records of it.
            object.remove("$schema");
            object.insert("$comment".into(), schema_comment(version.unreleased).into());
        }
        rebase_references(&mut schema, &base);
        branches.push(json!({ "$ref": base }));
        definitions.insert(key, schema);
        if !event_types.contains(&version.event_type.as_str()) {
            event_types.push(&version.event_type);
        }
    }
    json!({
        "$schema": DRAFT_2020_12,
        "title": "Telemetry event stream",
        "description": "Any payload of any known event version: `eventType` and `schemaVersion` select the event version whose schema the payload must match.",
        "type": "object",
        "properties": {
            "eventType": { "enum": event_types },
            "schemaVersion": { "type": "integer", "minimum": 1 },
        },
        "required": ["eventType", "schemaVersion"],
        "oneOf": branches,
        "$defs": definitions,
    })
}

/// Prefixes every local reference (`#...`) in `schema` with `base`. Values of keywords that hold
/// data rather than schemas are left alone.
fn rebase_references(schema: &mut Value, base: &str) {
    match schema {
        Value::Object(object) => {
            for (key, value) in object.iter_mut() {
                match key.as_str() {
                    "$ref" => {
                        if let Some(rest) = value.as_str().and_then(|r| r.strip_prefix('#')) {
                            *value = Value::String(format!("{base}{rest}"));
                        }
                    }
                    "const" | "enum" | "default" | "examples" => {}
                    _ => rebase_references(value, base),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| rebase_references(item, base)),
        _ => {}
    }
}

/// Escapes a JSON Pointer reference token (RFC 6901).
fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{escape_pointer, rebase_references};

    #[test]
    fn rebases_schema_references_but_not_data() {
        let mut schema = json!({
            "$ref": "#/$defs/A",
            "properties": { "x": { "$ref": "#" }, "y": { "const": { "$ref": "#/data" } } },
            "items": [{ "$ref": "#/$defs/B" }, { "$ref": "https://elsewhere/schema" }],
        });
        rebase_references(&mut schema, "#/$defs/E.v1");
        assert_eq!(
            schema,
            json!({
                "$ref": "#/$defs/E.v1/$defs/A",
                "properties": { "x": { "$ref": "#/$defs/E.v1" }, "y": { "const": { "$ref": "#/data" } } },
                "items": [{ "$ref": "#/$defs/E.v1/$defs/B" }, { "$ref": "https://elsewhere/schema" }],
            })
        );
    }

    #[test]
    fn escapes_pointer_tokens() {
        assert_eq!(escape_pointer("a/b~c"), "a~1b~0c");
    }
}
