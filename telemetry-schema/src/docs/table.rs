//! The tables of fields the docs show: rows in wire order, types in words, descriptions fit
//! for a Markdown cell.

use std::fmt::Write as _;

use serde_json::Value;

use crate::key_order::KeyOrder;
use crate::resolve;

/// One row of a field table.
pub(super) struct Row {
    key: String,
    kind: String,
    required: bool,
    description: String,
}

impl Row {
    pub(super) fn write(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            self.key,
            self.kind,
            if self.required { "yes" } else { "no" },
            cell(&self.description),
        );
    }
}

/// How to tabulate the properties of objects in one schema.
pub(super) struct Table<'a> {
    /// The schema `$ref`s resolve in.
    pub(super) root: &'a Value,
    /// The wire order of keys, from the examples.
    pub(super) order: &'a KeyOrder,
    /// Whether nested objects (`a.b`) and arrays of objects (`a[].b`) get rows of their own.
    pub(super) nested: bool,
    /// Whether a constant is shown as its value (`"BuildFinished"`) or its type (`string`).
    pub(super) constants: bool,
}

impl Table<'_> {
    /// The rows of `object`'s properties, at `path` in the payload, in wire order.
    pub(super) fn rows(&self, object: &Value, path: &str) -> Vec<Row> {
        let mut rows = Vec::new();
        self.collect(object, path, "", &mut Vec::new(), &mut rows);
        rows
    }

    fn collect(
        &self,
        object: &Value,
        path: &str,
        label_prefix: &str,
        visiting: &mut Vec<String>,
        rows: &mut Vec<Row>,
    ) {
        let Some(properties) = object.get("properties").and_then(Value::as_object) else {
            return;
        };
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|keys| keys.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut keys: Vec<&str> = properties.keys().map(String::as_str).collect();
        self.order.sort(path, &mut keys);
        for key in keys {
            let property = &properties[key];
            let target = resolve(self.root, property).unwrap_or(property);
            let description = property
                .get("description")
                .or_else(|| target.get("description"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let label = format!("{label_prefix}{key}");
            rows.push(Row {
                key: label.clone(),
                kind: type_label(self.root, property, self.constants),
                required: required.contains(&key),
                description: description.to_owned(),
            });
            if !self.nested {
                continue;
            }
            // A type that contains itself is described once.
            let reference = property
                .get("$ref")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if reference.as_ref().is_some_and(|r| visiting.contains(r)) {
                continue;
            }
            visiting.extend(reference.clone());
            let child_path = if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            };
            if has_properties(self.root, target) {
                self.collect(target, &child_path, &format!("{label}."), visiting, rows);
            } else if let Some(items) = target
                .get("items")
                .and_then(|items| resolve(self.root, items))
                && has_properties(self.root, items)
            {
                self.collect(
                    items,
                    &format!("{child_path}[]"),
                    &format!("{label}[]."),
                    visiting,
                    rows,
                );
            }
            if reference.is_some() {
                visiting.pop();
            }
        }
    }
}

pub(super) fn has_properties(root: &Value, schema: &Value) -> bool {
    resolve(root, schema)
        .and_then(|schema| schema.get("properties"))
        .and_then(Value::as_object)
        .is_some_and(|properties| !properties.is_empty())
}

/// A short, human name for the type of values `schema` admits; with `constants`, a constant is
/// named by its value.
fn type_label(root: &Value, schema: &Value, constants: bool) -> String {
    let Some(schema) = resolve(root, schema) else {
        return "any".into();
    };
    if let (true, Some(value)) = (constants, schema.get("const")) {
        return format!("`{value}`");
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        let values: Vec<String> = values.iter().map(|value| format!("`{value}`")).collect();
        return match values.as_slice() {
            [] => "nothing".into(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        };
    }
    let kinds: Vec<&str> = match schema.get("type") {
        Some(Value::String(kind)) => vec![kind],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => return "any".into(),
    };
    let labels: Vec<String> = kinds
        .iter()
        .map(|kind| single_type_label(root, schema, kind))
        .collect();
    labels.join(" or ")
}

fn single_type_label(root: &Value, schema: &Value, kind: &str) -> String {
    match kind {
        "integer" => integer_label(schema),
        "string" if schema.get("format").and_then(Value::as_str) == Some("uuid") => {
            "string (UUID)".into()
        }
        "array" => match schema.get("items") {
            Some(items) => format!("array of {}", type_label(root, items, true)),
            None => "array".into(),
        },
        "object" => match schema.get("additionalProperties") {
            Some(values) if values.is_object() => {
                format!("map of string to {}", type_label(root, values, true))
            }
            _ => "object".into(),
        },
        other => other.into(),
    }
}

/// An integer's range in words: `integer ≥ 0` up to what every consumer reads exactly,
/// `integer from -5 to 5` for other bounds.
fn integer_label(schema: &Value) -> String {
    let bound = |key| schema.get(key).and_then(Value::as_i64);
    match (bound("minimum"), bound("maximum")) {
        (Some(0), None | Some(crate::standard::MAX_SAFE_INTEGER)) => "integer ≥ 0".into(),
        (Some(minimum), Some(maximum)) => format!("integer from {minimum} to {maximum}"),
        (Some(minimum), None) => format!("integer ≥ {minimum}"),
        (None, Some(maximum)) => format!("integer ≤ {maximum}"),
        (None, None) => "integer".into(),
    }
}

/// The first paragraph of a description, for one-line summaries.
pub(super) fn first_paragraph(text: &str) -> &str {
    text.split("\n\n").next().unwrap_or_default()
}

/// Text fit for a Markdown table cell: hard-wrapped lines joined, list items and paragraphs
/// kept apart with `<br>`, pipes escaped.
pub(super) fn cell(text: &str) -> String {
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|paragraph| {
            let mut joined = String::new();
            for line in paragraph.lines().map(str::trim) {
                if !joined.is_empty() {
                    joined.push_str(if line.starts_with("- ") { "<br>" } else { " " });
                }
                joined.push_str(line);
            }
            joined
        })
        .collect();
    paragraphs.join("<br><br>").replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{cell, type_label};

    #[test]
    fn labels_types_for_humans() {
        let root = json!({ "$defs": { "Backend": { "type": "string", "enum": ["docker", "buildah", ""] } } });
        let cases = [
            (json!({ "type": "integer", "minimum": 0 }), "integer ≥ 0"),
            (
                json!({ "type": "integer", "minimum": 0, "maximum": 9_007_199_254_740_991_i64 }),
                "integer ≥ 0",
            ),
            (
                json!({ "type": "integer", "minimum": 0, "maximum": 4_294_967_295_u32 }),
                "integer from 0 to 4294967295",
            ),
            (json!({ "type": "integer" }), "integer"),
            (
                json!({ "type": "string", "format": "uuid" }),
                "string (UUID)",
            ),
            (
                json!({ "$ref": "#/$defs/Backend" }),
                "`\"docker\"`, `\"buildah\"` or `\"\"`",
            ),
            (json!({ "const": 2 }), "`2`"),
            (
                json!({ "type": "array", "items": { "type": "boolean" } }),
                "array of boolean",
            ),
            (
                json!({ "type": "object", "additionalProperties": { "type": "string" } }),
                "map of string to string",
            ),
            (json!({ "type": ["string", "null"] }), "string or null"),
            (json!({}), "any"),
        ];
        assert_eq!(
            type_label(&root, &json!({ "type": "integer", "const": 2 }), false),
            "integer"
        );
        for (schema, label) in cases {
            assert_eq!(type_label(&root, &schema, true), label, "{schema}");
        }
    }

    #[test]
    fn table_cells_are_one_line_without_pipes() {
        assert_eq!(
            cell("Which one, wrapped\nhere.\n\n- `a`: A\n- `b`: B | C"),
            "Which one, wrapped here.<br><br>- `a`: A<br>- `b`: B \\| C"
        );
    }
}
