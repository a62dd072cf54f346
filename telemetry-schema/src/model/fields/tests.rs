//! Tests of the walk, the type labels and the classification of paths.

use serde_json::json;
use telemetry_core::classify::{DataClass, Field, Purpose};

use super::{Classification, catalogue_entries, changes, classify, parse_entries, type_label};
use crate::model::key_order::KeyOrder;

#[test]
fn labels_types_for_humans() {
    let root =
        json!({ "$defs": { "Backend": { "type": "string", "enum": ["docker", "buildah", ""] } } });
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
            json!({ "type": "string", "pattern": "^[0-9a-f]{64}$" }),
            "string (keyed hash)",
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

fn field(key: Option<&'static str>, class: DataClass, hashed: bool) -> Field {
    Field {
        key,
        rust_name: key.unwrap_or("flattened"),
        class,
        purpose: Purpose::FeatureInsight,
        hashed,
    }
}

/// An envelope with nested event data: an array of objects, and a key from a flattened field.
fn envelope() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "ts": { "type": "integer" },
            "attributes": { "$ref": "#/$defs/Attributes" },
            "eventData": {
                "type": "object",
                "properties": {
                    "stages": { "type": "array", "items": { "$ref": "#/$defs/Stage" } },
                    "who": { "type": "string", "pattern": "^[0-9a-f]{64}$" },
                    "region": { "type": "string" }
                },
                "required": ["stages"]
            }
        },
        "required": ["ts"],
        "$defs": {
            "Attributes": { "type": "object", "properties": { "os": { "type": "string" }, "extra": { "type": "object" } } },
            "Stage": { "type": "object", "properties": { "name": { "type": "string", "description": "Its name." } } }
        }
    })
}

#[test]
fn a_classification_covers_its_fields_subtree() {
    let fields = [
        field(Some("stages"), DataClass::CustomerContent, false),
        field(Some("who"), DataClass::CustomerContent, true),
        field(None, DataClass::SystemMetadata, false),
    ];
    let (classes, unclassified) = classify(&envelope(), &fields);
    assert!(unclassified.is_empty());
    let class_of = |path: &str| classes.get(path).map(Classification::sent_class);
    assert_eq!(class_of("ts"), Some(DataClass::SystemMetadata));
    assert_eq!(
        class_of("attributes.extra"),
        Some(DataClass::CustomerContent)
    );
    assert_eq!(
        class_of("eventData.stages"),
        Some(DataClass::CustomerContent)
    );
    assert_eq!(
        class_of("eventData.stages[].name"),
        Some(DataClass::CustomerContent)
    );
    assert_eq!(
        class_of("eventData.who"),
        Some(DataClass::EndUserPseudonymized)
    );
    assert_eq!(
        class_of("eventData.region"),
        Some(DataClass::SystemMetadata)
    );
    assert!(classes["eventData.who"].hashed);
}

#[test]
fn keys_nothing_classifies_are_refused() {
    let fields = [field(Some("stages"), DataClass::CustomerContent, false)];
    assert_eq!(
        classify(&envelope(), &fields).1,
        ["eventData.region", "eventData.who"]
    );
    let mut schema = envelope();
    schema["properties"]["nickname"] = json!({ "type": "string" });
    let fields = [
        field(Some("stages"), DataClass::CustomerContent, false),
        field(None, DataClass::SystemMetadata, false),
    ];
    assert_eq!(classify(&schema, &fields).1, ["nickname"]);
}

#[test]
fn several_flattened_fields_share_the_most_sensitive_class() {
    let fields = [
        field(None, DataClass::SystemMetadata, false),
        field(None, DataClass::CustomerContent, false),
        field(None, DataClass::PublicNonPersonal, false),
    ];
    let (classes, unclassified) = classify(&envelope(), &fields);
    assert!(unclassified.is_empty());
    assert_eq!(
        classes["eventData.region"].class,
        DataClass::CustomerContent
    );
}

#[test]
fn catalogue_entries_read_back_and_name_their_changes() {
    let schema = envelope();
    let fields = [
        field(Some("stages"), DataClass::CustomerContent, false),
        field(Some("who"), DataClass::CustomerContent, true),
        field(Some("region"), DataClass::SystemMetadata, false),
    ];
    let (classes, _) = classify(&schema, &fields);
    let entries = catalogue_entries(&schema, &KeyOrder::default(), &classes);
    let name = entries
        .iter()
        .find(|entry| entry["path"] == "eventData.stages[].name")
        .unwrap();
    assert_eq!(
        name,
        &json!({
            "path": "eventData.stages[].name",
            "type": "string",
            "required": false,
            "description": "Its name.",
            "class": "customer_content",
            "purpose": "feature_insight",
            "hashed": false,
        })
    );
    assert_eq!(parse_entries(&entries).unwrap(), classes);

    let mut now = classes.clone();
    now.insert(
        "eventData.region".into(),
        Classification {
            class: DataClass::PublicNonPersonal,
            purpose: Purpose::BusinessInsight,
            hashed: false,
        },
    );
    assert_eq!(
        changes(&classes, &now),
        [
            "`eventData.region`: class `system_metadata`, purpose `feature_insight` → class \
          `public_non_personal`, purpose `business_insight`"
        ]
    );
    assert!(
        parse_entries(&[json!({ "path": "a", "class": "secret", "purpose": "feature_insight" })])
            .is_err()
    );
}
