//! The classifier's tests: every kind of change, and the verdict on each.

use serde_json::{Value, json};

use super::{Change, ChangeKind, Compatibility, classify, overall};

/// `(path, description)` of every change, for compact assertions.
fn described(old: &Value, new: &Value) -> Vec<String> {
    classify(old, new).iter().map(Change::to_string).collect()
}

#[allow(clippy::needless_pass_by_value)] // takes `json!(...)` as written
fn object(properties: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
}

#[test]
fn identical_schemas_have_no_changes() {
    let schema = object(json!({ "a": { "type": "string" } }), &["a"]);
    assert!(classify(&schema, &schema).is_empty());
    assert_eq!(overall(&[]), None);
}

#[test]
fn keys_added_removed_and_changing_requiredness() {
    let old = object(
        json!({ "kept": {}, "gone": {}, "loose": {}, "strict": {} }),
        &["kept", "strict"],
    );
    let new = object(
        json!({ "kept": {}, "loose": {}, "strict": {}, "opt": {}, "req": {} }),
        &["kept", "loose", "req"],
    );
    assert_eq!(
        described(&old, &new),
        [
            "`gone`: key removed (breaking)",
            "`loose`: key became required (breaking)",
            "`strict`: key became optional (compatible)",
            "`opt`: optional key added (compatible)",
            "`req`: required key added (breaking)",
        ]
    );
}

#[test]
fn removing_a_key_from_an_open_object_is_compatible() {
    let old = json!({ "type": "object", "properties": { "a": {} } });
    let new = json!({ "type": "object", "properties": {} });
    let changes = classify(&old, &new);
    assert_eq!(changes[0].kind, ChangeKind::KeyRemoved { closed: false });
    assert_eq!(changes[0].compatibility(), Compatibility::Compatible);
}

#[test]
fn types_widened_and_changed() {
    let cases = [
        (
            json!({ "type": "integer" }),
            json!({ "type": "number" }),
            "`(root)`: type widened from `integer` to `number` (compatible)",
        ),
        (
            json!({ "type": "string" }),
            json!({ "type": ["null", "string"] }),
            "`(root)`: type widened from `string` to `null` or `string` (compatible)",
        ),
        (
            json!({ "type": ["null", "string"] }),
            json!({ "type": "string" }),
            "`(root)`: type changed from `null` or `string` to `string` (breaking)",
        ),
        (
            json!({ "type": "string" }),
            json!({ "type": "integer" }),
            "`(root)`: type changed from `string` to `integer` (breaking)",
        ),
        (
            json!({ "type": "string" }),
            json!({}),
            "`(root)`: type widened from `string` to any (compatible)",
        ),
    ];
    for (old, new, expected) in cases {
        assert_eq!(described(&old, &new), [expected]);
    }
}

#[test]
fn enums_widened_narrowed_added_and_removed() {
    let old = json!({ "type": "string", "enum": ["a", "b"] });
    assert_eq!(
        described(&old, &json!({ "type": "string", "enum": ["a", "b", "c"] })),
        ["`(root)`: enum widened with `\"c\"` (compatible)"]
    );
    assert_eq!(
        described(&old, &json!({ "type": "string", "enum": ["a", "c"] })),
        [
            "`(root)`: enum narrowed, without `\"b\"` (breaking)",
            "`(root)`: enum widened with `\"c\"` (compatible)"
        ]
    );
    assert_eq!(
        described(&old, &json!({ "type": "string" })),
        ["`(root)`: constraint relaxed: `enum` removed (was `[\"a\",\"b\"]`) (compatible)"]
    );
    assert_eq!(
        described(&json!({ "type": "string" }), &old),
        ["`(root)`: constraint tightened: `enum` added: `[\"a\",\"b\"]` (breaking)"]
    );
}

#[test]
fn numeric_and_length_bounds_tighten_and_relax_in_the_right_direction() {
    let cases = [
        ("minimum", 0, 1, Compatibility::Breaking),
        ("minimum", 1, 0, Compatibility::Compatible),
        ("maximum", 10, 5, Compatibility::Breaking),
        ("maximum", 5, 10, Compatibility::Compatible),
        ("maxLength", 64, 32, Compatibility::Breaking),
        ("minItems", 0, 2, Compatibility::Breaking),
        ("maxProperties", 32, 64, Compatibility::Compatible),
    ];
    for (keyword, from, to, compatibility) in cases {
        let changes = classify(&json!({ keyword: from }), &json!({ keyword: to }));
        assert_eq!(changes.len(), 1, "{keyword}");
        assert_eq!(
            changes[0].compatibility(),
            compatibility,
            "{keyword} {from} -> {to}"
        );
    }
    assert_eq!(
        described(
            &json!({ "type": "string" }),
            &json!({ "type": "string", "maxLength": 8 })
        ),
        ["`(root)`: constraint tightened: `maxLength` added: `8` (breaking)"]
    );
    assert_eq!(
        described(
            &json!({ "type": "string", "pattern": "^a" }),
            &json!({ "type": "string" })
        ),
        ["`(root)`: constraint relaxed: `pattern` removed (was `\"^a\"`) (compatible)"]
    );
    assert_eq!(
        described(&json!({ "pattern": "^a" }), &json!({ "pattern": "^b" })),
        ["`(root)`: constraint tightened: `pattern` from `\"^a\"` to `\"^b\"` (breaking)"]
    );
    assert_eq!(
        described(&json!({ "const": 1 }), &json!({ "const": 2 })),
        ["`(root)`: constraint tightened: `const` from `1` to `2` (breaking)"]
    );
    assert!(classify(&json!({}), &json!({ "uniqueItems": false })).is_empty());
    assert_eq!(
        classify(&json!({}), &json!({ "uniqueItems": true }))[0].compatibility(),
        Compatibility::Breaking
    );
}

#[test]
fn nested_objects_arrays_and_maps_report_their_path() {
    let old = object(
        json!({
            "data": object(json!({ "image": { "type": "string" } }), &["image"]),
            "options": { "type": "array", "items": object(json!({ "name": { "type": "string" } }), &["name"]) },
            "extra": { "type": "object", "additionalProperties": { "type": "string", "maxLength": 256 } },
        }),
        &["data", "options", "extra"],
    );
    let new = object(
        json!({
            "data": object(json!({ "image": { "type": "string" }, "stage": { "type": "string" } }), &["image"]),
            "options": { "type": "array", "items": object(json!({ "name": { "type": "integer" } }), &["name"]) },
            "extra": { "type": "object", "additionalProperties": { "type": "string", "maxLength": 128 } },
        }),
        &["data", "options", "extra"],
    );
    assert_eq!(
        described(&old, &new),
        [
            "`data.stage`: optional key added (compatible)",
            "`extra.*`: constraint tightened: `maxLength` from `256` to `128` (breaking)",
            "`options[].name`: type changed from `string` to `integer` (breaking)",
        ]
    );
}

#[test]
fn closing_and_opening_objects() {
    let open = json!({ "type": "object", "properties": {} });
    let closed = json!({ "type": "object", "properties": {}, "additionalProperties": false });
    assert_eq!(
        classify(&open, &closed)[0].compatibility(),
        Compatibility::Breaking
    );
    assert_eq!(
        classify(&closed, &open)[0].compatibility(),
        Compatibility::Compatible
    );
}

#[test]
fn references_are_followed_and_renamed_definitions_are_no_change() {
    let old = json!({
        "type": "object",
        "properties": { "source": { "$ref": "#/$defs/Source", "description": "Where from." } },
        "required": ["source"],
        "$defs": { "Source": { "type": "string", "enum": ["repo", "secondary", ""] } },
    });
    let renamed = json!({
        "type": "object",
        "properties": { "source": { "$ref": "#/$defs/BaseImageSource", "description": "Where from." } },
        "required": ["source"],
        "$defs": { "BaseImageSource": { "type": "string", "enum": ["repo", "secondary", ""] } },
    });
    assert!(classify(&old, &renamed).is_empty());

    let narrowed = json!({
        "type": "object",
        "properties": { "source": { "$ref": "#/$defs/Source", "description": "Where it came from." } },
        "required": ["source"],
        "$defs": { "Source": { "type": "string", "enum": ["repo", "secondary"] } },
    });
    assert_eq!(
        described(&old, &narrowed),
        [
            "`source`: description changed (compatible)",
            "`source`: enum narrowed, without `\"\"` (breaking)",
        ]
    );
}

#[test]
fn recursive_definitions_terminate() {
    let tree = |extra: Value| {
        json!({
            "$ref": "#/$defs/Node",
            "$defs": { "Node": { "type": "object", "properties": { "children": { "type": "array", "items": { "$ref": "#/$defs/Node" } }, "extra": extra } } },
        })
    };
    let changes = classify(
        &tree(json!({ "type": "string" })),
        &tree(json!({ "type": "integer" })),
    );
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].path, "extra");
}

#[test]
fn alternatives_compare_pairwise_or_report_a_change() {
    let old = json!({ "oneOf": [{ "type": "string" }, { "type": "integer" }] });
    let same_shape = json!({ "oneOf": [{ "type": "string" }, { "type": "number" }] });
    assert_eq!(
        described(&old, &same_shape),
        ["`(root)`: type widened from `integer` to `number` (compatible)"]
    );
    let fewer = json!({ "oneOf": [{ "type": "string" }] });
    assert_eq!(
        described(&old, &fewer),
        ["`(root)`: alternatives of `oneOf` changed (breaking)"]
    );
}

#[test]
fn overall_is_the_worst_change() {
    let old = object(json!({ "a": {} }), &[]);
    let new = object(json!({ "b": {} }), &[]);
    assert_eq!(
        overall(&classify(&old, &new)),
        Some(Compatibility::Breaking)
    );
    let widened = object(json!({ "a": {}, "b": {} }), &[]);
    assert_eq!(
        overall(&classify(&old, &widened)),
        Some(Compatibility::Compatible)
    );
}
