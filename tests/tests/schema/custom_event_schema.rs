//! A user-defined event outside the catalog gets a correct schema, which its own serialised
//! payloads validate against: nested structs, `Option`s, `Vec`s, an enum with renamed variants,
//! `skip_serializing_if` and a renamed `event_type`.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

use serde::Serialize;
use serde_json::{Value, json};
use telemetry_core::werf::examples::build_on_a_mac;
use telemetry_core::{Envelope, TelemetryEvent};
use telemetry_schema::stream::stream_schema;
use telemetry_schema::{EventVersion, event_schema};
use telemetry_tests::{Mutation, assert_rejected};

/// A deployment finished.
#[derive(Serialize, schemars::JsonSchema, TelemetryEvent)]
#[serde(rename_all = "camelCase")]
#[telemetry(version = 3, event_type = "DeploymentFinished", example = full, example = minimal)]
struct Deployed {
    /// Where it was deployed.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    target: Target,
    /// How long the release notes were; absent when there were none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    notes_chars: Option<u32>,
    /// The release this one rolled back, or null.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    rollback_of: Option<String>,
    /// The services deployed.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    services: Vec<Service>,
    /// How the release was rolled out.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    strategy: Strategy,
    /// Warnings raised; absent when none were.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    warnings: Vec<String>,
}

/// A deployment target.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Target {
    /// The kind of cluster.
    cluster_kind: ClusterKind,
    /// How many namespaces were touched.
    namespaces: u16,
}

/// Kinds of clusters.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
enum ClusterKind {
    /// A managed cloud cluster.
    ManagedCloud,
    /// A cluster run by its owners.
    SelfHosted,
}

/// One service of a deployment.
#[derive(Serialize, schemars::JsonSchema)]
struct Service {
    /// How many replicas it runs.
    replicas: u8,
}

/// Rollout strategies, with renamed variants.
#[derive(Serialize, schemars::JsonSchema)]
enum Strategy {
    /// Pods replaced a few at a time.
    #[serde(rename = "rolling-update")]
    RollingUpdate,
    /// Every pod replaced at once.
    #[serde(rename = "recreate")]
    #[allow(dead_code, reason = "only its schema is under test")]
    Recreate,
    /// A second environment switched over.
    #[serde(rename = "blue/green")]
    BlueGreen,
}

fn full() -> Envelope<Deployed> {
    Envelope::new(
        &build_on_a_mac(),
        1,
        Deployed {
            target: Target {
                cluster_kind: ClusterKind::SelfHosted,
                namespaces: 3,
            },
            notes_chars: Some(120),
            rollback_of: Some("v1.2.3".into()),
            services: vec![Service { replicas: 2 }, Service { replicas: 0 }],
            strategy: Strategy::BlueGreen,
            warnings: vec!["slow rollout".into()],
        },
    )
}

fn minimal() -> Envelope<Deployed> {
    Envelope::new(
        &build_on_a_mac(),
        2,
        Deployed {
            target: Target {
                cluster_kind: ClusterKind::ManagedCloud,
                namespaces: 0,
            },
            notes_chars: None,
            rollback_of: None,
            services: Vec::new(),
            strategy: Strategy::RollingUpdate,
            warnings: Vec::new(),
        },
    )
}

/// The schema of `eventData`, resolved.
fn event_data(schema: &Value) -> &Value {
    let reference = schema["properties"]["eventData"]["$ref"].as_str().unwrap();
    schema
        .pointer(reference.strip_prefix('#').unwrap())
        .unwrap()
}

fn definition<'a>(schema: &'a Value, name: &str) -> &'a Value {
    &schema["$defs"][name]
}

#[test]
fn the_schema_describes_exactly_what_is_serialised() {
    let schema = event_schema::<Deployed>();
    assert_eq!(schema["title"], "DeploymentFinished v3");
    assert_eq!(schema["description"], "A deployment finished.");
    assert_eq!(
        schema["properties"]["eventType"]["const"],
        "DeploymentFinished"
    );
    assert_eq!(schema["properties"]["schemaVersion"]["const"], 3);

    let data = event_data(&schema);
    assert_eq!(data["additionalProperties"], false);
    // Keys skipped when empty are not required; `rollbackOf` is always sent, maybe as null.
    assert_eq!(
        data["required"],
        json!(["target", "rollbackOf", "services", "strategy"])
    );
    assert_eq!(
        data["properties"]["rollbackOf"]["type"],
        json!(["string", "null"])
    );
    assert_eq!(data["properties"]["services"]["type"], "array");
    assert_eq!(data["properties"]["notesChars"]["minimum"], 0);
    // Skipped when `None`, so never `null`: an optional key of the inner type.
    assert_eq!(data["properties"]["notesChars"]["type"], "integer");

    let target = definition(&schema, "Target");
    assert_eq!(target["additionalProperties"], false);
    assert_eq!(target["properties"]["namespaces"]["minimum"], 0);
    assert_eq!(target["properties"]["namespaces"]["maximum"], 65535);
    assert_eq!(
        definition(&schema, "ClusterKind")["enum"],
        json!(["managed-cloud", "self-hosted"])
    );
    assert_eq!(
        definition(&schema, "Service")["additionalProperties"],
        false
    );

    let strategy = definition(&schema, "Strategy");
    assert_eq!(strategy["type"], "string");
    assert_eq!(
        strategy["enum"],
        json!(["rolling-update", "recreate", "blue/green"])
    );
    assert!(
        strategy["description"]
            .as_str()
            .unwrap()
            .contains("- `\"blue/green\"`: A second environment switched over.")
    );
}

#[test]
fn its_own_payloads_validate_and_wrong_ones_do_not() {
    let schema = event_schema::<Deployed>();
    let own = jsonschema::draft202012::new(&schema).unwrap();
    let versions = EventVersion::registered(&telemetry_tests::werf_config()).unwrap();
    assert!(versions.iter().any(|v| v.key() == "DeploymentFinished.v3"));
    let stream =
        jsonschema::draft202012::new(&stream_schema(&versions, &telemetry_tests::werf_config()))
            .unwrap();

    for example in Deployed::examples() {
        let payload = serde_json::to_value(&example).unwrap();
        own.validate(&payload).unwrap();
        stream.validate(&payload).unwrap();
    }

    let valid = serde_json::to_value(full()).unwrap();
    let mutations: &[Mutation] = &[
        ("a strategy outside the enum", |p| {
            p["eventData"]["strategy"] = json!("canary");
        }),
        ("a variant's Rust name", |p| {
            p["eventData"]["strategy"] = json!("BlueGreen");
        }),
        ("an unknown key in a nested struct", |p| {
            p["eventData"]["target"]["region"] = json!("eu");
        }),
        ("an unknown key in an array item", |p| {
            p["eventData"]["services"][0]["name"] = json!("web");
        }),
        ("an out-of-range u8", |p| {
            p["eventData"]["services"][0]["replicas"] = json!(256);
        }),
        ("a missing always-sent key", |p| {
            p["eventData"].as_object_mut().unwrap().remove("rollbackOf");
        }),
        ("a null where null is never sent", |p| {
            p["eventData"]["strategy"] = Value::Null;
        }),
        ("a null for a key skipped when empty", |p| {
            p["eventData"]["notesChars"] = Value::Null;
        }),
    ];
    assert_rejected(
        &valid,
        mutations,
        &[("event schema", &own), ("stream schema", &stream)],
    );
}
