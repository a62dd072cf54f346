//! What makes a schema one every consumer's tools accept: only JSON Schema 2020-12 keywords,
//! only formats validators know (ajv with `ajv-formats` refuses the others in its default strict
//! mode), integer ranges as `minimum`/`maximum` rather than schemars' `uint64`-style formats,
//! which no validator enforces, an absolute `$id`, and a `title` on every definition, which code
//! generators name their types after.
//!
//! [`standardise`] is the generator's last step on every schema it writes, and what it makes of
//! a schema published before these rules is the baseline a published version is compared with.

use serde_json::{Map, Value};

pub use telemetry_core::MAX_SAFE_INTEGER;

/// The formats kept: those of JSON Schema 2020-12 that `ajv-formats` implements.
const KNOWN_FORMATS: &[&str] = &[
    "date",
    "time",
    "date-time",
    "duration",
    "uri",
    "uri-reference",
    "uri-template",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "regex",
    "uuid",
    "json-pointer",
    "relative-json-pointer",
];

/// The range a schemars integer format stands for, capped at [`MAX_SAFE_INTEGER`].
fn integer_range(format: &str) -> Option<(i64, i64)> {
    Some(match format {
        "int8" => (i64::from(i8::MIN), i64::from(i8::MAX)),
        "int16" => (i64::from(i16::MIN), i64::from(i16::MAX)),
        "int32" => (i64::from(i32::MIN), i64::from(i32::MAX)),
        "int64" | "int128" | "int" => (-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
        "uint8" => (0, i64::from(u8::MAX)),
        "uint16" => (0, i64::from(u16::MAX)),
        "uint32" => (0, i64::from(u32::MAX)),
        "uint64" | "uint128" | "uint" => (0, MAX_SAFE_INTEGER),
        _ => return None,
    })
}

/// In one schema object: an integer format becomes the bounds it stands for (keeping any
/// tighter bound already there), and any format validators do not know is dropped.
pub(crate) fn standard_format(object: &mut Map<String, Value>) {
    let Some(format) = object
        .get("format")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return;
    };
    if KNOWN_FORMATS.contains(&format.as_str()) {
        return;
    }
    object.remove("format");
    let Some((low, high)) = integer_range(&format) else {
        return;
    };
    // Both bounds are within ±2^53, where `f64` is exact.
    #[allow(clippy::cast_precision_loss, reason = "exact within ±2^53")]
    let (low_f64, high_f64) = (low as f64, high as f64);
    let tighter = |key: &str, keep: &dyn Fn(f64) -> bool| {
        object
            .get(key)
            .filter(|existing| existing.as_f64().is_some_and(keep))
            .cloned()
    };
    let minimum = tighter("minimum", &|existing| existing > low_f64).unwrap_or_else(|| low.into());
    let maximum =
        tighter("maximum", &|existing| existing < high_f64).unwrap_or_else(|| high.into());
    object.insert("minimum".into(), minimum);
    object.insert("maximum".into(), maximum);
}

/// Makes `schema` standard (see the [module docs](self)): formats everywhere, `$id` set to `id`,
/// and each `$defs` entry titled with its name when it has no title. Idempotent.
pub fn standardise(schema: &mut Value, id: &str) {
    walk(schema);
    let Some(root) = schema.as_object_mut() else {
        return;
    };
    root.insert("$id".into(), id.into());
    if let Some(Value::Object(definitions)) = root.get_mut("$defs") {
        for (name, definition) in definitions.iter_mut() {
            if let Some(definition) = definition.as_object_mut() {
                definition
                    .entry("title")
                    .or_insert_with(|| name.clone().into());
            }
        }
    }
}

/// Applies [`standard_format`] to every subschema; values of keywords that hold data rather
/// than schemas are left alone.
fn walk(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            standard_format(object);
            for (key, value) in object.iter_mut() {
                if !matches!(key.as_str(), "const" | "enum" | "default" | "examples") {
                    walk(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(walk),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{MAX_SAFE_INTEGER, standardise};

    #[test]
    fn integer_formats_become_the_bounds_they_stand_for() {
        let mut schema = json!({
            "properties": {
                "count": { "type": "integer", "format": "uint32", "minimum": 0 },
                "ts": { "type": "integer", "format": "uint64", "minimum": 0 },
                "code": { "type": "integer", "format": "int32" },
                "small": { "type": "integer", "format": "uint8", "minimum": 0, "maximum": 255 },
                "positive": { "type": "integer", "format": "uint32", "minimum": 1 },
                "ratio": { "type": "number", "format": "double" },
                "id": { "type": "string", "format": "uuid" },
                "address": { "type": "string", "format": "ip" },
                "fixed": { "const": { "format": "uint64" } },
            },
        });
        standardise(&mut schema, "urn:test");
        assert_eq!(
            schema,
            json!({
                "$id": "urn:test",
                "properties": {
                    "count": { "type": "integer", "minimum": 0, "maximum": 4_294_967_295_u32 },
                    "ts": { "type": "integer", "minimum": 0, "maximum": MAX_SAFE_INTEGER },
                    "code": { "type": "integer", "minimum": -2_147_483_648_i64, "maximum": 2_147_483_647 },
                    "small": { "type": "integer", "minimum": 0, "maximum": 255 },
                    "positive": { "type": "integer", "minimum": 1, "maximum": 4_294_967_295_u32 },
                    "ratio": { "type": "number" },
                    "id": { "type": "string", "format": "uuid" },
                    "address": { "type": "string" },
                    "fixed": { "const": { "format": "uint64" } },
                },
            })
        );
        let once = schema.clone();
        standardise(&mut schema, "urn:test");
        assert_eq!(schema, once, "idempotent");
    }

    #[test]
    fn definitions_are_titled_with_their_names() {
        let mut schema = json!({ "$defs": { "A": {}, "B": { "title": "Kept" }, "C": true } });
        standardise(&mut schema, "https://example.com/a.json");
        assert_eq!(
            schema,
            json!({
                "$id": "https://example.com/a.json",
                "$defs": { "A": { "title": "A" }, "B": { "title": "Kept" }, "C": true },
            })
        );
    }
}
