//! Naming and references in the stream schema.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{definition_names, rename_references, stream_schema};
use crate::{Config, EventVersion};

/// A version whose envelope refers to `Attributes` and to its data, `<Data>`, which refers to
/// `Option` with `option` as that type's schema.
fn version(event_type: &str, number: u32, data: &str, option: &Value) -> EventVersion {
    EventVersion {
        event_type: event_type.into(),
        version: number,
        unreleased: false,
        schema: json!({
            "properties": {
                "attributes": { "$ref": "#/$defs/Attributes" },
                "eventData": { "$ref": format!("#/$defs/{data}") },
                "eventType": { "const": event_type },
            },
            "$defs": {
                "Attributes": { "type": "object", "title": "Attributes" },
                data: { "properties": { "option": { "$ref": "#/$defs/Option" } } },
                "Option": option,
            },
        }),
        examples: Vec::new(),
        rust_path: Some("crate::Event".into()),
        published_schema_file: None,
        published_examples_file: None,
        amendments: Vec::new(),
        definition_names: BTreeMap::new(),
        classifications: BTreeMap::new(),
    }
}

fn names(map: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
    map.iter()
        .map(|(local, global)| (local.as_str(), global.as_str()))
        .collect()
}

#[test]
fn shapes_shared_keep_their_name_and_changed_ones_are_qualified() {
    let first = json!({ "type": "string" });
    let second = json!({ "type": "integer" });
    let versions = [
        version("Deployed", 1, "Deployed", &first),
        version("Deployed", 2, "Deployed", &second),
        version("Deployed", 3, "Deployed", &second),
        version("RolledBack", 1, "RolledBack", &first),
    ];
    let assigned = definition_names(&versions);
    assert_eq!(
        names(&assigned[0]),
        [
            ("Attributes", "Attributes"),
            ("Deployed", "DeployedV1Data"),
            ("Option", "Option")
        ]
    );
    assert_eq!(
        names(&assigned[1]),
        [
            ("Attributes", "Attributes"),
            ("Deployed", "DeployedV2Data"),
            ("Option", "DeployedV2Option")
        ]
    );
    assert_eq!(assigned[2]["Option"], "DeployedV2Option", "shared with v2");
    assert_eq!(assigned[3]["Option"], "Option", "shared across events");
}

#[test]
fn names_never_change_when_an_unrelated_event_is_added() {
    let before = [version(
        "Deployed",
        1,
        "Deployed",
        &json!({ "type": "string" }),
    )];
    let recorded = definition_names(&before);
    // An event that sorts first and has its own `Option`.
    let mut after = vec![version(
        "Audited",
        1,
        "Audited",
        &json!({ "type": "boolean" }),
    )];
    let mut deployed = before[0].clone();
    deployed.definition_names = recorded[0].clone();
    after.push(deployed);
    let assigned = definition_names(&after);
    assert_eq!(assigned[1], recorded[0], "Deployed keeps its names");
    assert_eq!(assigned[0]["Option"], "AuditedV1Option");
}

#[test]
fn the_stream_is_flat_titled_and_discriminated() {
    let versions = [
        version("Deployed", 1, "Deployed", &json!({ "type": "string" })),
        version("Deployed", 2, "Deployed", &json!({ "type": "integer" })),
    ];
    let stream = stream_schema(&versions, &Config::new("acme", "ACME"));
    assert_eq!(stream["$id"], "urn:acme:telemetry:telemetry.schema.json");
    let definitions = stream["$defs"].as_object().unwrap();
    let keys: Vec<&str> = definitions.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "Attributes",
            "DeployedV1",
            "DeployedV1Data",
            "DeployedV2",
            "DeployedV2Data",
            "DeployedV2Option",
            "Option"
        ]
    );
    for (name, definition) in definitions {
        assert_eq!(definition["title"], name.as_str());
        assert!(!name.contains('.'));
    }
    assert_eq!(
        definitions["DeployedV2Data"]["properties"]["option"]["$ref"],
        "#/$defs/DeployedV2Option"
    );
    assert_eq!(
        definitions["DeployedV1"]["properties"]["eventData"]["$ref"],
        "#/$defs/DeployedV1Data"
    );
    let all_of = stream["allOf"].as_array().unwrap();
    assert_eq!(
        all_of.len(),
        3,
        "one check of versions per type, one branch per version"
    );
    assert_eq!(
        all_of[0]["then"]["properties"]["schemaVersion"]["enum"],
        json!([1, 2])
    );
    assert_eq!(all_of[2]["then"]["$ref"], "#/$defs/DeployedV2");
}

#[test]
fn renames_schema_references_but_not_data() {
    let mut schema = json!({
        "$ref": "#/$defs/A",
        "properties": { "x": { "$ref": "#/$defs/B" }, "y": { "const": { "$ref": "#/$defs/A" } } },
        "items": [{ "$ref": "https://elsewhere/schema" }],
    });
    let names = [
        ("A".to_owned(), "EV1A".to_owned()),
        ("B".to_owned(), "B".to_owned()),
    ]
    .into();
    rename_references(&mut schema, &names);
    assert_eq!(
        schema,
        json!({
            "$ref": "#/$defs/EV1A",
            "properties": { "x": { "$ref": "#/$defs/B" }, "y": { "const": { "$ref": "#/$defs/A" } } },
            "items": [{ "$ref": "https://elsewhere/schema" }],
        })
    );
}
