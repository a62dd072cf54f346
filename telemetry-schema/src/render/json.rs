//! How every generated JSON file is written: pretty, `\n` line ends, a final newline, and the
//! generated-file marker as the root's `$comment` where the file has no other.

use serde_json::Value;

use crate::paths::GENERATED_MARKER;

/// A JSON document as every generated file writes it: pretty, with a final newline.
pub(crate) fn pretty(value: &Value) -> String {
    // A `Value` always serialises; the fallback is unreachable but keeps this total.
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// `schema` with the generated-file marker as its `$comment`.
pub(crate) fn with_marker(mut schema: Value) -> Value {
    if let Some(object) = schema.as_object_mut() {
        object.insert("$comment".into(), GENERATED_MARKER.into());
    }
    schema
}
