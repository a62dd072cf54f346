//! Transforms that make schemars' output an exact description of what is serialised: closed
//! objects, and closed value sets as `enum`s.

use schemars::Schema;
use schemars::transform::RecursiveTransform;
use serde_json::Value;

/// Every transform, in the order they apply.
pub(crate) fn all() -> [RecursiveTransform<fn(&mut Schema)>; 2] {
    [
        RecursiveTransform(close_objects as fn(&mut Schema)),
        RecursiveTransform(unit_enums_as_enum as fn(&mut Schema)),
    ]
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

    use super::{close_objects, unit_enums_as_enum};

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
