//! Transforms that make schemars' output an exact description of what is serialised: closed
//! objects, closed value sets as `enum`s, keys that may be absent but are never `null`, and
//! integer ranges as bounds.

use schemars::Schema;
use schemars::transform::RecursiveTransform;
use serde_json::Value;

/// Every transform, in the order they apply.
pub(crate) fn all() -> [RecursiveTransform<fn(&mut Schema)>; 4] {
    [
        RecursiveTransform(close_objects as fn(&mut Schema)),
        RecursiveTransform(unit_enums_as_enum as fn(&mut Schema)),
        RecursiveTransform(optional_keys_are_never_null as fn(&mut Schema)),
        RecursiveTransform(standard_formats as fn(&mut Schema)),
    ]
}

/// Integer ranges as bounds, and only formats validators know (see [`standard`](super::standard)).
fn standard_formats(schema: &mut Schema) {
    if let Some(object) = schema.as_object_mut() {
        super::standard::standard_format(object);
    }
}

/// A key that may be absent is never `null`. Describing what is serialised, schemars leaves a
/// key out of `required` only when serde may skip it (`skip_serializing_if`), and an `Option`
/// skipped when `None` never serialises `null`: its schema is `T`'s, not "`T` or null". (A
/// predicate that skipped something else and sent `None` as `null` would be misdescribed; no
/// one writes that.)
fn optional_keys_are_never_null(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let required: Vec<String> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (key, property) in properties.iter_mut() {
        if !required.contains(key) {
            remove_null(property);
        }
    }
}

/// Removes `null` from what `schema` admits: from a list of types, or as a branch of
/// `anyOf`/`oneOf` (folding a single remaining branch into the schema).
fn remove_null(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(kinds)) = object.get_mut("type") {
        kinds.retain(|kind| kind != "null");
        if let [single] = kinds.as_slice() {
            let single = single.clone();
            object.insert("type".into(), single);
        }
    }
    for keyword in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = object.get_mut(keyword) else {
            continue;
        };
        let null = serde_json::json!({ "type": "null" });
        let before = branches.len();
        branches.retain(|branch| *branch != null);
        if branches.len() == before {
            continue;
        }
        if let [Value::Object(_)] = branches.as_slice()
            && let Some(Value::Array(mut branches)) = object.remove(keyword)
            && let Some(Value::Object(branch)) = branches.pop()
        {
            for (key, value) in branch {
                object.entry(key).or_insert(value);
            }
        }
    }
}

/// Objects with declared properties admit no others: the payloads come from Rust structs, whose
/// keys are known. Maps (`additionalProperties` already set) stay open, and so do objects whose
/// properties are spread over `allOf`/`anyOf`/`oneOf` (`#[serde(flatten)]` of an enum), where
/// closing one branch would reject the other's keys.
fn close_objects(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let is_object = object.contains_key("properties")
        || object.get("type").and_then(Value::as_str) == Some("object");
    let open_elsewhere = [
        "additionalProperties",
        "unevaluatedProperties",
        "patternProperties",
    ]
    .iter()
    .any(|key| object.contains_key(*key));
    let combined = ["allOf", "anyOf", "oneOf"]
        .iter()
        .any(|key| object.contains_key(*key));
    if is_object && !open_elsewhere && !combined {
        object.insert("additionalProperties".into(), Value::Bool(false));
    }
}

/// schemars describes a unit-only enum with documented variants as `oneOf` of `const`s; fold it
/// into `{"type": ..., "enum": [...]}`, the form every consumer understands as a closed value
/// set. The variants' docs move into the description as a list.
fn unit_enums_as_enum(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let Some(Value::Array(variants)) = object.get("oneOf") else {
        return;
    };
    let mut values = Vec::with_capacity(variants.len());
    let mut types = Vec::new();
    let mut documented = Vec::new();
    for variant in variants {
        let Some(variant) = variant.as_object() else {
            return;
        };
        let Some(value) = variant.get("const") else {
            return;
        };
        if variant
            .keys()
            .any(|key| !["const", "type", "description", "title"].contains(&key.as_str()))
        {
            return;
        }
        if let Some(kind) = variant.get("type")
            && !types.contains(kind)
        {
            types.push(kind.clone());
        }
        if let Some(Value::String(description)) = variant.get("description") {
            documented.push(format!("- `{value}`: {description}"));
        }
        values.push(value.clone());
    }
    object.remove("oneOf");
    if let [kind] = types.as_slice() {
        object.insert("type".into(), kind.clone());
    }
    object.insert("enum".into(), Value::Array(values));
    if !documented.is_empty() {
        let list = documented.join("\n");
        let description = match object.get("description").and_then(Value::as_str) {
            Some(description) => format!("{description}\n\n{list}"),
            None => list,
        };
        object.insert("description".into(), Value::String(description));
    }
}

#[cfg(test)]
mod tests {
    use schemars::json_schema;

    use super::{close_objects, optional_keys_are_never_null, unit_enums_as_enum};

    #[test]
    fn closes_structs_but_not_maps_or_combinations() {
        let mut schema = json_schema!({ "type": "object", "properties": { "a": {} } });
        close_objects(&mut schema);
        assert_eq!(schema.get("additionalProperties"), Some(&false.into()));

        let mut empty = json_schema!({ "type": "object" });
        close_objects(&mut empty);
        assert_eq!(empty.get("additionalProperties"), Some(&false.into()));

        let mut map =
            json_schema!({ "type": "object", "additionalProperties": { "type": "string" } });
        close_objects(&mut map);
        assert_eq!(
            map.get("additionalProperties"),
            Some(&serde_json::json!({ "type": "string" }))
        );

        let mut flattened = json_schema!({ "type": "object", "properties": {}, "oneOf": [] });
        close_objects(&mut flattened);
        assert_eq!(flattened.get("additionalProperties"), None);

        let mut string = json_schema!({ "type": "string" });
        close_objects(&mut string);
        assert_eq!(string.get("additionalProperties"), None);
    }

    #[test]
    fn folds_documented_unit_variants_into_an_enum() {
        let mut schema = json_schema!({
            "description": "Which backend.",
            "oneOf": [
                { "type": "string", "const": "docker", "description": "The Docker daemon." },
                { "type": "string", "const": "" },
            ],
        });
        unit_enums_as_enum(&mut schema);
        assert_eq!(
            schema,
            json_schema!({
                "description": "Which backend.\n\n- `\"docker\"`: The Docker daemon.",
                "type": "string",
                "enum": ["docker", ""],
            })
        );
    }

    #[test]
    fn optional_keys_are_not_nullable_but_always_sent_ones_are() {
        let mut schema = json_schema!({
            "type": "object",
            "properties": {
                "skipped": { "type": ["string", "null"], "description": "Skipped when None." },
                "referenced": {
                    "anyOf": [{ "$ref": "#/$defs/Kind" }, { "type": "null" }],
                    "description": "Skipped when None.",
                },
                "sent": { "type": ["string", "null"] },
            },
            "required": ["sent"],
        });
        optional_keys_are_never_null(&mut schema);
        assert_eq!(
            schema,
            json_schema!({
                "type": "object",
                "properties": {
                    "skipped": { "type": "string", "description": "Skipped when None." },
                    "referenced": { "$ref": "#/$defs/Kind", "description": "Skipped when None." },
                    "sent": { "type": ["string", "null"] },
                },
                "required": ["sent"],
            })
        );
    }

    #[test]
    fn leaves_other_one_ofs_alone() {
        let original = json_schema!({
            "oneOf": [
                { "type": "string", "const": "a" },
                { "type": "object", "properties": { "b": {} } },
            ],
        });
        let mut schema = original.clone();
        unit_enums_as_enum(&mut schema);
        assert_eq!(schema, original);
    }
}
