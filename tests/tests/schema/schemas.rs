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
    jsonschema::meta::validate(&stream_schema(&versions, &telemetry_tests::werf_config())).unwrap();
}

#[test]
fn every_example_validates_against_its_own_schema_and_the_stream_schema() {
    let versions = catalog();
    let stream = validator(&stream_schema(&versions, &telemetry_tests::werf_config()));
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
    let stream = validator(&stream_schema(&versions, &telemetry_tests::werf_config()));
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

/// `StageBuildFinished`'s own validator, the stream's, and its documented example.
fn stage_build_finished() -> (jsonschema::Validator, jsonschema::Validator, Value) {
    let versions = catalog();
    let stream = validator(&stream_schema(&versions, &telemetry_tests::werf_config()));
    let stage = versions
        .iter()
        .find(|v| v.event_type == "StageBuildFinished")
        .unwrap();
    (validator(&stage.schema), stream, parse(&stage.examples[0]))
}

#[test]
fn wrong_payloads_are_rejected() {
    let (own, stream, valid) = stage_build_finished();
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

/// What werf's released client sends beyond its page, which the published versions were
/// corrected to accept: no `ci` outside CI, extra attributes without limits, two more
/// `baseImageSource` values.
#[test]
fn what_werfs_released_client_sends_is_accepted() {
    let (own, stream, valid) = stage_build_finished();
    let mutations: &[Mutation] = &[
        ("no `ci` outside CI", |p| {
            p["attributes"].as_object_mut().unwrap().remove("ci");
        }),
        ("`ciName` without `ci` (Jenkins without CI set)", |p| {
            p["attributes"].as_object_mut().unwrap().remove("ci");
            p["attributes"]["ciName"] = json!("jenkins");
        }),
        ("an empty extra key", |p| {
            p["attributes"]["extra"][""] = json!("x");
        }),
        ("forty extra attributes, one of 300 characters", |p| {
            for index in 0..40 {
                p["attributes"]["extra"][format!("k{index}")] = json!("v".repeat(300));
            }
            p["attributes"]["extra"]["k".repeat(100)] = json!("long key");
        }),
        ("`baseImageSource` `registry`", |p| {
            p["eventData"]["baseImageSource"] = json!("registry");
        }),
        ("`baseImageSource` `cache-repo`", |p| {
            p["eventData"]["baseImageSource"] = json!("cache-repo");
        }),
    ];
    for (what, mutate) in mutations {
        let mut payload = valid.clone();
        mutate(&mut payload);
        for (name, validator) in [("event schema", &own), ("stream schema", &stream)] {
            let errors: Vec<String> = validator
                .iter_errors(&payload)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "the {name} refuses {what}: {errors:?}");
        }
    }
}

#[test]
fn the_stream_schema_is_closed_over_known_event_types() {
    let versions = catalog();
    let stream = stream_schema(&versions, &telemetry_tests::werf_config());
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
    // One check of the versions of each event type, one branch per version.
    assert_eq!(
        stream["allOf"].as_array().unwrap().len(),
        expected.len() + versions.len()
    );
}

/// Every schema object of `schema`, with where it is.
fn subschemas<'a>(schema: &'a Value, at: &str, found: &mut Vec<(String, &'a Value)>) {
    match schema {
        Value::Object(object) => {
            found.push((at.to_owned(), schema));
            for (key, value) in object {
                if !matches!(key.as_str(), "const" | "enum" | "examples" | "default") {
                    subschemas(value, &format!("{at}/{key}"), found);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                subschemas(item, &format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}

/// Every file the generator writes that is a schema, parsed, by path.
fn committed_schemas() -> Vec<(String, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut paths = vec![
        files::STREAM_SCHEMA.to_owned(),
        files::LOG_LINE_SCHEMA.to_owned(),
    ];
    for entry in std::fs::read_dir(root.join(files::EVENT_SCHEMAS)).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        paths.push(format!("{}/{name}", files::EVENT_SCHEMAS));
    }
    paths
        .into_iter()
        .map(|path| {
            let schema = parse(&std::fs::read_to_string(root.join(&path)).unwrap());
            (path, schema)
        })
        .collect()
}

#[test]
fn every_schema_is_standard_titled_and_identified() {
    const KNOWN_FORMATS: &[&str] = &["uuid"];
    let schemas = committed_schemas();
    assert_eq!(schemas.len(), 2 + catalog().len());
    for (path, schema) in &schemas {
        let id = schema["$id"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: no $id"));
        assert!(
            id.starts_with("https://werf.io/schemas/telemetry/"),
            "{path}: {id}"
        );
        assert!(
            id.ends_with(path.trim_start_matches("schemas/")),
            "{path}: {id}"
        );
        for (name, definition) in schema["$defs"].as_object().unwrap() {
            assert!(!name.contains('.'), "{path}: {name}");
            assert_eq!(definition["title"], name.as_str(), "{path}: {name}");
        }
        let mut found = Vec::new();
        subschemas(schema, "", &mut found);
        for (at, subschema) in found {
            if let Some(format) = subschema.get("format") {
                assert!(
                    KNOWN_FORMATS.contains(&format.as_str().unwrap()),
                    "{path}{at}: format {format}"
                );
            }
            if subschema.get("type") == Some(&json!("integer")) && subschema.get("const").is_none()
            {
                for bound in ["minimum", "maximum"] {
                    let value = subschema[bound]
                        .as_i64()
                        .unwrap_or_else(|| panic!("{path}{at}: no {bound}"));
                    assert!(
                        value.abs() <= 9_007_199_254_740_991,
                        "{path}{at}: {bound} {value}"
                    );
                }
            }
        }
    }
}

#[test]
fn payloads_no_rust_type_can_hold_are_rejected() {
    let versions = catalog();
    let stream = validator(&stream_schema(&versions, &telemetry_tests::werf_config()));
    let example = |event_type: &str| {
        parse(
            &versions
                .iter()
                .find(|v| v.event_type == event_type)
                .unwrap()
                .examples[0],
        )
    };
    let cases: [(&str, Mutation); 5] = [
        (
            "BuildStarted",
            ("imagesCount = 2^32", |p| {
                p["eventData"]["imagesCount"] = json!(4_294_967_296_u64);
            }),
        ),
        (
            "BuildStarted",
            ("ts = u64::MAX", |p| {
                p["ts"] = json!(18_446_744_073_709_551_615_u64);
            }),
        ),
        (
            "BuildStarted",
            ("ts = 2^64", |p| {
                p["ts"] = json!(1.844_674_407_370_955_2e19);
            }),
        ),
        (
            "CommandExited",
            ("exitCode = 2^31", |p| {
                p["eventData"]["exitCode"] = json!(2_147_483_648_u64);
            }),
        ),
        (
            "CommandExited",
            ("exitCode = -2^31 - 1", |p| {
                p["eventData"]["exitCode"] = json!(-2_147_483_649_i64);
            }),
        ),
    ];
    for (event_type, (what, mutate)) in cases {
        let mut payload = example(event_type);
        assert!(stream.is_valid(&payload));
        mutate(&mut payload);
        assert!(!stream.is_valid(&payload), "{what}");
    }
}

#[test]
fn one_wrong_field_is_one_error_where_it_is_and_unknown_versions_one_error_too() {
    let versions = catalog();
    let stream = validator(&stream_schema(&versions, &telemetry_tests::werf_config()));
    let valid = parse(
        &versions
            .iter()
            .find(|v| v.event_type == "BuildStarted")
            .unwrap()
            .examples[0],
    );
    let errors = |mutate: fn(&mut Value)| {
        let mut payload = valid.clone();
        mutate(&mut payload);
        stream
            .iter_errors(&payload)
            .map(|error| error.instance_path().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        errors(|p| p["eventData"]["imagesCount"] = json!("three")),
        ["/eventData/imagesCount"]
    );
    assert_eq!(errors(|p| p["eventType"] = json!("Nope")), ["/eventType"]);
    assert_eq!(
        errors(|p| p["schemaVersion"] = json!(9)),
        ["/schemaVersion"]
    );
}

#[test]
fn the_log_line_schema_takes_events_and_diagnostics_and_nothing_else() {
    let validator = telemetry_tests::log_line_validator();
    let event = parse(&catalog()[0].examples[0]);
    assert!(validator.is_valid(&event));
    let diagnostic = json!({
        "diagnostic": "delivery",
        "message": "1 event(s) not delivered",
        "ts": 1_700_000_000_000_u64,
        "executionID": "2f75d020-684e-4224-9013-35e95e1b7721",
    });
    assert!(validator.is_valid(&diagnostic));
    let wrong: [fn(&mut Value); 3] = [
        |line| line["diagnostic"] = json!("gossip"),
        |line| line["hostname"] = json!("ci-7"),
        |line| line["executionID"] = json!("not-a-uuid"),
    ];
    for mutate in wrong {
        let mut line = diagnostic.clone();
        mutate(&mut line);
        assert!(!validator.is_valid(&line), "{line}");
    }
    let mut event = event;
    event["eventType"] = json!("Nope");
    assert!(!validator.is_valid(&event));
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
    insta::assert_json_snapshot!(stream_schema(&catalog(), &telemetry_tests::werf_config()));
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
    let mut rebuilt = stream_schema(&versions, &telemetry_tests::werf_config());
    rebuilt["$comment"] = stream["$comment"].clone();
    assert_eq!(stream, rebuilt);
}

/// The catalogue of werf's events as the code makes it: every field of every version with its
/// type, class, purpose and description, what data-governance tools read.
#[test]
fn catalogue_snapshot() {
    let config = telemetry_tests::werf_config();
    let files = files::generate(&catalog(), &config);
    let catalogue: Value = serde_json::from_str(&files[files::CATALOGUE]).unwrap();
    insta::assert_json_snapshot!(catalogue);
}

#[test]
fn every_schema_loads_by_its_id_whatever_the_base() {
    let bases = [
        None,
        Some("https://acme.example/schemas/"),
        Some("https://acme.example/schemas"),
        Some("urn:acme:telemetry:"),
        Some("urn:example:acme"),
        Some("tag:acme.example,2026:telemetry/"),
    ];
    for base in bases {
        let mut config = telemetry_schema::Config::new("acme", "ACME")
            .group_channel(telemetry_core::werf::GROUP_CHANNEL);
        if let Some(base) = base {
            config = config.base_uri(base);
        }
        let root = tempfile::tempdir().unwrap();
        config
            .sync(
                root.path(),
                EventVersion::registered(&config).unwrap(),
                telemetry_schema::sync::Mode::Write,
            )
            .unwrap_or_else(|error| panic!("{base:?}: {error}"));
        let validators = telemetry_tests::load_schemas(&telemetry_tests::read_schemas(root.path()));
        assert_eq!(validators.len(), 9, "{base:?}: {:?}", validators.keys());
        let log_line = &validators[files::LOG_LINE_SCHEMA];
        for version in EventVersion::registered(&config).unwrap() {
            for example in &version.examples {
                let payload = parse(example);
                log_line
                    .validate(&payload)
                    .unwrap_or_else(|error| panic!("{base:?}: {}: {error}", version.key()));
                assert!(
                    validators[&files::event_schema_path(&version.event_type, version.version)]
                        .is_valid(&payload)
                );
            }
        }
        let mut wrong = parse(&EventVersion::registered(&config).unwrap()[0].examples[0]);
        wrong["eventType"] = json!("Nope");
        assert!(!log_line.is_valid(&wrong), "{base:?}");
    }
}

#[test]
fn a_base_no_consumer_can_resolve_against_is_refused() {
    for base in [
        "schemas/",
        "acme",
        "https://acme.example/schemas/?v=1",
        "urn:acme#",
        "https://a b/",
        ":x",
    ] {
        let config = telemetry_schema::Config::new("acme", "ACME").base_uri(base);
        let root = tempfile::tempdir().unwrap();
        let error = config
            .sync(root.path(), Vec::new(), telemetry_schema::sync::Mode::Write)
            .unwrap_err();
        assert!(
            error.to_string().contains("must be an absolute URI"),
            "{base}: {error}"
        );
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0, "{base}");
    }
}

#[test]
fn the_clickhouse_file_is_written_only_when_asked_for() {
    let versions = catalog();
    let plain = files::generate(&versions, &telemetry_schema::Config::new("acme", "ACME"));
    assert!(!plain.contains_key(files::CLICKHOUSE));
    let with = files::generate(
        &versions,
        &telemetry_schema::Config::new("my-tool", "ACME").clickhouse(),
    );
    let sql = &with[files::CLICKHOUSE];
    assert!(sql.starts_with("-- generated by `cargo xtask schema`, do not edit\n"));
    for name in [
        "CREATE TABLE IF NOT EXISTS my_tool_events",
        "CREATE TABLE IF NOT EXISTS my_tool_failed_events",
        "CREATE TABLE IF NOT EXISTS my_tool_events_load AS my_tool_events",
        "ALTER TABLE my_tool_events REPLACE PARTITION ({received:Date}, {source:String}) FROM my_tool_events_load",
        "CREATE OR REPLACE VIEW my_tool_stage_build_finished_v2",
        "CREATE OR REPLACE VIEW my_tool_events_without_view",
        "CREATE TABLE IF NOT EXISTS otel_traces",
        "CREATE OR REPLACE MATERIALIZED VIEW my_tool_events_from_otel TO my_tool_events",
        "CREATE OR REPLACE MATERIALIZED VIEW my_tool_failed_events_from_otel TO my_tool_failed_events",
        "WHERE SpanName = 'my-tool.telemetry'",
    ] {
        assert!(sql.contains(name), "{name}");
    }
    assert_eq!(
        sql.matches("CREATE ").count(),
        4 + versions.len() + 1 + 2,
        "four tables (the load's own), a view per version and one for the rest, the collector's two views"
    );
    assert!(
        !sql.contains("\nTTL ") && !sql.contains("MODIFY TTL"),
        "no retention, no TTL"
    );
    assert!(
        sql.contains("\n-- ALTER TABLE my_tool_events REMOVE TTL;\n"),
        "the statement that removes a TTL the table was made with, as a comment"
    );
    assert!(!sql.contains("ON CLUSTER"), "one server");
}

#[test]
fn the_clickhouse_file_follows_the_retention_the_layout_and_the_cluster() {
    let versions = catalog();
    let config = telemetry_schema::Config::new("my-tool", "ACME")
        .clickhouse()
        .retention_days(30, 7)
        .otel_traces(telemetry_schema::OtelTraces::Json)
        .clickhouse_cluster("analytics");
    let sql = &files::generate(&versions, &config)[files::CLICKHOUSE];
    for expected in [
        "TTL received + toIntervalDay(30)",
        "TTL toDateTime(receivedTime) + toIntervalDay(7)",
        "TTL toDateTime(Timestamp) + toIntervalDay(30)",
        "CREATE TABLE IF NOT EXISTS my_tool_events_local ON CLUSTER `analytics`",
        "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/my_tool_events_local', '{replica}')",
        "CREATE TABLE IF NOT EXISTS my_tool_events ON CLUSTER `analytics` AS my_tool_events_local\nENGINE = Distributed('analytics', currentDatabase(), my_tool_events_local, cityHash64(executionID));",
        "SpanAttributes JSON CODEC(ZSTD(1))",
        "toString(SpanAttributes.`eventData`)",
        "DELETE FROM my_tool_events_local ON CLUSTER `analytics` WHERE `userID` = {id:String};",
        "--insert_deduplication_token=",
        "\n-- ALTER TABLE my_tool_events_local ON CLUSTER `analytics` MODIFY TTL received + toIntervalDay(30);\n",
    ] {
        assert!(sql.contains(expected), "{expected}");
    }
    assert!(
        !sql.contains("_load"),
        "a cluster loads a file as one block, without a load table"
    );
    assert!(
        !sql.contains("SpanAttributes['"),
        "the JSON layout reads no map"
    );
    assert!(
        !sql.contains("non_replicated_deduplication_window"),
        "replicated tables deduplicate on their own"
    );
}
