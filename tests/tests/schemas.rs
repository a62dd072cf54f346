//! The generated schemas, checked with an implementation independent of schemars (the
//! `jsonschema` crate): valid draft 2020-12, accepting every documented payload and werf's
//! published ones, rejecting wrong ones.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

use serde_json::{Value, json};
use std::path::Path;
use telemetry_schema::stream::stream_schema;

use telemetry_schema::{EventVersion, files};
use telemetry_tests::{Mutation, assert_rejected, replay_examples};

fn catalog() -> Vec<EventVersion> {
    EventVersion::registered(&telemetry_tests::werf_config()).unwrap()
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::new(schema).unwrap()
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn every_schema_is_a_valid_draft_2020_12_schema() {
    let versions = catalog();
    for version in &versions {
        jsonschema::meta::validate(&version.schema)
            .unwrap_or_else(|error| panic!("{}: {error}", version.key()));
    }
    jsonschema::meta::validate(&stream_schema(&versions)).unwrap();
}

#[test]
fn every_example_validates_against_its_own_schema_and_the_stream_schema() {
    let versions = catalog();
    let stream = validator(&stream_schema(&versions));
    for version in &versions {
        let own = validator(&version.schema);
        assert!(
            !version.examples.is_empty(),
            "{} has examples",
            version.key()
        );
        for example in &version.examples {
            let payload = parse(example);
            own.validate(&payload)
                .unwrap_or_else(|error| panic!("{}: {error}", version.key()));
            stream
                .validate(&payload)
                .unwrap_or_else(|error| panic!("{}: {error}", version.key()));
        }
    }
}

#[test]
fn werfs_published_payloads_validate() {
    let versions = catalog();
    let stream = validator(&stream_schema(&versions));
    let fixtures =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/seed")).unwrap();
    let mut checked = 0;
    for fixture in fixtures {
        let payload = parse(&std::fs::read_to_string(fixture.unwrap().path()).unwrap());
        stream.validate(&payload).unwrap();
        let own = versions
            .iter()
            .find(|version| payload["eventType"] == version.event_type.as_str())
            .unwrap();
        validator(&own.schema).validate(&payload).unwrap();
        checked += 1;
    }
    assert_eq!(checked, 6);
}

#[test]
fn wrong_payloads_are_rejected() {
    let versions = catalog();
    let stream = validator(&stream_schema(&versions));
    let stage = versions
        .iter()
        .find(|v| v.event_type == "StageBuildFinished")
        .unwrap();
    let own = validator(&stage.schema);
    let valid = parse(&stage.examples[0]);
    assert!(own.is_valid(&valid) && stream.is_valid(&valid));

    let mutations: &[Mutation] = &[
        ("a wrong type", |p| p["ts"] = json!("1709251135000")),
        ("a negative integer", |p| {
            p["eventData"]["durationMs"] = json!(-1);
        }),
        ("a missing required key", |p| {
            p["eventData"].as_object_mut().unwrap().remove("image");
        }),
        ("a missing envelope key", |p| {
            p.as_object_mut().unwrap().remove("executionID");
        }),
        ("an unknown key in eventData", |p| {
            p["eventData"]["cacheHit"] = json!(true);
        }),
        ("an unknown key in attributes", |p| {
            p["attributes"]["hostname"] = json!("ci-7");
        }),
        ("an unknown envelope key", |p| p["sessionID"] = json!("x")),
        ("a value outside an enum", |p| {
            p["eventData"]["baseImageSource"] = json!("cache");
        }),
        ("a non-string extra attribute", |p| {
            p["attributes"]["extra"]["team"] = json!(1);
        }),
        ("an empty extra key", |p| {
            p["attributes"]["extra"][""] = json!("x");
        }),
        ("a malformed executionID", |p| {
            p["executionID"] = json!("not-a-uuid");
        }),
        ("an uppercase projectID", |p| {
            p["projectID"] =
                json!("C4D3E019070529344A6967D8C73D578101C6554FCDCAE3D00BB93A9692523CB1");
        }),
        ("an e-mail as userID", |p| {
            p["userID"] = json!("someone@example.com");
        }),
        ("an unknown eventType", |p| {
            p["eventType"] = json!("StageBuildStarted");
        }),
        ("a known event with the wrong schemaVersion", |p| {
            p["schemaVersion"] = json!(1);
        }),
        ("another event's type with this event's data", |p| {
            p["eventType"] = json!("BuildStarted");
        }),
        ("not an object", |p| *p = json!([])),
    ];
    assert_rejected(
        &valid,
        mutations,
        &[("event schema", &own), ("stream schema", &stream)],
    );
}

#[test]
fn the_stream_schema_is_closed_over_known_event_types() {
    let versions = catalog();
    let stream = stream_schema(&versions);
    let mut known: Vec<&str> = stream["properties"]["eventType"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|value| value.as_str().unwrap())
        .collect();
    known.sort_unstable();
    let mut expected: Vec<&str> = versions.iter().map(|v| v.event_type.as_str()).collect();
    expected.dedup();
    assert_eq!(known, expected);
    assert_eq!(stream["oneOf"].as_array().unwrap().len(), versions.len());
}

/// One snapshot per event version: the payloads exactly as `examples/` holds them.
#[test]
fn example_payloads_snapshot() {
    for version in catalog() {
        insta::assert_snapshot!(version.key(), files::render_examples(&version.examples));
    }
}

#[test]
fn stream_schema_snapshot() {
    insta::assert_json_snapshot!(stream_schema(&catalog()));
}

/// Transitive replay over the repository's committed files.
#[test]
fn the_repositorys_own_examples_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let versions = EventVersion::registered(&telemetry_tests::werf_config()).unwrap();
    replay_examples(root, versions.len());
    // And the stream schema of the repository equals one built from its parts.
    let stream: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(files::STREAM_SCHEMA)).unwrap())
            .unwrap();
    let mut rebuilt = stream_schema(&versions);
    rebuilt["$comment"] = stream["$comment"].clone();
    assert_eq!(stream, rebuilt);
}
