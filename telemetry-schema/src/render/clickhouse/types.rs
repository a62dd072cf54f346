//! ClickHouse types from JSON Schemas: the one place a field's schema decides its column's type.

use serde_json::Value;

use super::sql::quoted_identifier;
use crate::model::key_order::KeyOrder;
use crate::model::schema::resolve;
use crate::model::walk::alternatives;

/// The ClickHouse type of a field of `schema` (at `path`, the elements of a tuple in wire order),
/// `nullable` when it may be absent; `None` for what has no one type (an enum that carries data,
/// anything without a `type`).
pub(crate) fn column_type(
    root: &Value,
    schema: &Value,
    nullable: bool,
    order: &KeyOrder,
    path: &str,
) -> Option<String> {
    let schema = resolve(root, schema)?;
    if !alternatives(root, schema).is_empty() {
        return None;
    }
    let (kinds, null) = match schema.get("type")? {
        Value::String(kind) => (vec![kind.as_str()], false),
        Value::Array(kinds) => {
            let kinds: Vec<&str> = kinds.iter().filter_map(Value::as_str).collect();
            let null = kinds.contains(&"null");
            (
                kinds.into_iter().filter(|kind| *kind != "null").collect(),
                null,
            )
        }
        _ => return None,
    };
    let [kind] = kinds.as_slice() else {
        return None;
    };
    let base = match *kind {
        "integer" => integer_type(schema),
        "number" => "Float64".to_owned(),
        "boolean" => "Bool".to_owned(),
        "string" => "String".to_owned(),
        "array" => match (schema.get("prefixItems"), schema.get("items")) {
            (Some(Value::Array(elements)), _) => {
                let elements: Option<Vec<String>> = elements
                    .iter()
                    .map(|element| column_type(root, element, false, order, &format!("{path}[]")))
                    .collect();
                format!("Tuple({})", elements?.join(", "))
            }
            (_, Some(items)) => format!(
                "Array({})",
                column_type(root, items, false, order, &format!("{path}[]"))?
            ),
            _ => return None,
        },
        "object" => match (
            schema.get("properties").and_then(Value::as_object),
            schema.get("additionalProperties"),
        ) {
            (Some(properties), _) if !properties.is_empty() => {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|keys| keys.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut keys: Vec<&str> = properties.keys().map(String::as_str).collect();
                order.sort(path, &mut keys);
                let elements: Option<Vec<String>> = keys
                    .iter()
                    .map(|key| {
                        let property = properties.get(*key)?;
                        let child = format!("{path}.{key}");
                        let kind =
                            column_type(root, property, !required.contains(key), order, &child)?;
                        Some(format!("{} {kind}", quoted_identifier(key)))
                    })
                    .collect();
                format!("Tuple({})", elements?.join(", "))
            }
            (_, Some(values @ Value::Object(_))) => {
                format!(
                    "Map(String, {})",
                    column_type(root, values, false, order, &format!("{path}.*"))?
                )
            }
            _ => return None,
        },
        _ => return None,
    };
    // ClickHouse has no `Nullable` of a composite: an absent array, map or object is empty.
    let composite =
        base.starts_with("Array(") || base.starts_with("Map(") || base.starts_with("Tuple(");
    Some(if (nullable || null) && !composite {
        format!("Nullable({base})")
    } else {
        base
    })
}

/// The smallest ClickHouse integer that holds every value `schema`'s bounds admit.
fn integer_type(schema: &Value) -> String {
    let bound = |key| schema.get(key).and_then(Value::as_i64);
    let (minimum, maximum) = (bound("minimum"), bound("maximum"));
    if minimum.is_some_and(|minimum| minimum >= 0) {
        let maximum = maximum.unwrap_or(i64::MAX);
        let bits = [8, 16, 32]
            .into_iter()
            .find(|bits| maximum < 1_i64 << bits)
            .unwrap_or(64);
        format!("UInt{bits}")
    } else {
        let fits = |bits: u32| {
            let (low, high) = (-(1_i64 << (bits - 1)), (1_i64 << (bits - 1)) - 1);
            minimum.is_some_and(|minimum| minimum >= low)
                && maximum.is_some_and(|maximum| maximum <= high)
        };
        let bits = [8, 16, 32]
            .into_iter()
            .find(|bits| fits(*bits))
            .unwrap_or(64);
        format!("Int{bits}")
    }
}

/// Whether `kind` is a composite ClickHouse type, which cannot be `Nullable`.
pub(crate) fn is_composite(kind: &str) -> bool {
    kind.starts_with("Array(") || kind.starts_with("Map(") || kind.starts_with("Tuple(")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{column_type, integer_type};
    use crate::model::key_order::KeyOrder;

    #[test]
    fn types_from_schemas() {
        let root = json!({ "$defs": { "Option": { "type": "object", "properties": {
            "name": { "type": "string" }, "count": { "type": "integer", "minimum": 0, "maximum": 4_294_967_295_u32 }
        }, "required": ["name"] } } });
        let cases = [
            (
                json!({ "type": "integer", "minimum": 0, "maximum": 9_007_199_254_740_991_i64 }),
                false,
                "UInt64",
            ),
            (
                json!({ "type": "integer", "minimum": 0, "maximum": 255 }),
                false,
                "UInt8",
            ),
            (
                json!({ "type": "integer", "minimum": -2_147_483_648_i64, "maximum": 2_147_483_647 }),
                false,
                "Int32",
            ),
            (json!({ "type": "boolean" }), true, "Nullable(Bool)"),
            (
                json!({ "type": ["string", "null"] }),
                false,
                "Nullable(String)",
            ),
            (json!({ "type": "number" }), false, "Float64"),
            (
                json!({ "type": "array", "items": { "$ref": "#/$defs/Option" } }),
                true,
                "Array(Tuple(`count` Nullable(UInt32), `name` String))",
            ),
            (
                json!({ "type": "object", "additionalProperties": { "type": "string" } }),
                false,
                "Map(String, String)",
            ),
            (
                json!({ "type": "array", "prefixItems": [{ "type": "integer", "minimum": 0, "maximum": 65535 }, { "type": "string" }] }),
                false,
                "Tuple(UInt16, String)",
            ),
        ];
        let order = KeyOrder::default();
        for (schema, nullable, expected) in cases {
            let kind = column_type(&root, &schema, nullable, &order, "x");
            assert_eq!(kind.as_deref(), Some(expected), "{schema}");
        }
        let union = json!({ "oneOf": [{ "type": "string" }] });
        assert_eq!(column_type(&root, &union, false, &order, "x"), None);
        assert_eq!(
            integer_type(&json!({ "minimum": -5, "maximum": 5 })),
            "Int8"
        );
        assert_eq!(
            integer_type(&json!({ "minimum": -128, "maximum": 128 })),
            "Int16"
        );
        assert_eq!(integer_type(&json!({})), "Int64");
    }
}
