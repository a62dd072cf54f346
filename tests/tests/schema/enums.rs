//! The shapes real CLIs use beyond plain structs, documented field by field: enums that carry
//! data (tagged, adjacently tagged, externally tagged, untagged), tuples and the standard
//! library's `Duration`. Every row has a type, a class, a purpose and a description; a field
//! nothing describes, or an example the schema refuses, stops the generator.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use telemetry_core::werf::examples::build_on_a_mac;
use telemetry_core::{Envelope, TelemetryEvent};
use telemetry_schema::{Config, Error, EventVersion, files};

/// A release finished.
#[derive(Serialize, schemars::JsonSchema, TelemetryEvent)]
#[serde(rename_all = "camelCase")]
#[telemetry(version = 1, example = released, example = released_locally, example = released_to_hosts)]
struct Released {
    /// How it ended.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    outcome: Outcome,
    /// Where it went.
    #[telemetry(class = customer_content, purpose = feature_insight)]
    target: Target,
    /// What was measured.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    measure: Measure,
    /// The step that ran longest.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    slowest: Step,
    /// The release's major and minor version.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    version: (u16, u16),
    /// How long it took.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    took: Duration,
}

/// How a release ended.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "camelCase")]
enum Outcome {
    /// Every service came up.
    Done {
        /// How many services.
        services: u32,
    },
    /// A service did not come up.
    Failed {
        /// The error's code.
        code: i32,
    },
    /// Nothing needed releasing.
    Skipped,
}

/// A release target.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
enum Target {
    /// A Kubernetes cluster.
    Cluster {
        /// How many namespaces.
        namespaces: u16,
    },
    /// A number of hosts.
    Hosts(u32),
    /// The developer's machine.
    Local,
}

/// A measurement.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(untagged)]
enum Measure {
    /// A plain count.
    Count(u64),
    /// A count with its unit.
    WithUnit {
        /// The count.
        value: u64,
        /// Its unit.
        unit: String,
    },
}

/// One step of a release.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(tag = "step", content = "detail", rename_all = "camelCase")]
enum Step {
    /// Pulling images: how many.
    Pull(u32),
    /// Running migrations.
    Migrate {
        /// How many migrations ran.
        count: u32,
    },
}

fn released() -> Envelope<Released> {
    Envelope::new(
        &build_on_a_mac(),
        1_709_251_100_000,
        Released {
            outcome: Outcome::Failed { code: 3 },
            target: Target::Cluster { namespaces: 2 },
            measure: Measure::WithUnit {
                value: 5,
                unit: "pods".into(),
            },
            slowest: Step::Migrate { count: 4 },
            version: (1, 2),
            took: Duration::from_millis(1_500),
        },
    )
}

fn released_locally() -> Envelope<Released> {
    Envelope::new(
        &build_on_a_mac(),
        1_709_251_100_000,
        Released {
            outcome: Outcome::Skipped,
            target: Target::Local,
            measure: Measure::Count(3),
            slowest: Step::Pull(2),
            version: (1, 3),
            took: Duration::from_millis(20),
        },
    )
}

fn released_to_hosts() -> Envelope<Released> {
    Envelope::new(
        &build_on_a_mac(),
        1_709_251_100_000,
        Released {
            outcome: Outcome::Done { services: 2 },
            target: Target::Hosts(3),
            measure: Measure::Count(1),
            slowest: Step::Pull(1),
            version: (2, 0),
            took: Duration::from_secs(2),
        },
    )
}

/// The catalogue's fields of `eventData`, by path (a path a variant repeats keeps each row).
fn catalogue_fields(version: EventVersion) -> Vec<Value> {
    let config = Config::new("acme", "ACME");
    let files = files::generate(&[version], &config);
    let catalogue: Value = serde_json::from_str(&files[files::CATALOGUE]).unwrap();
    catalogue["events"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|field| field["path"].as_str().unwrap().starts_with("eventData."))
        .cloned()
        .collect()
}

/// `(path, type, when)` of each row.
fn rows(fields: &[Value]) -> Vec<(String, String, String)> {
    fields
        .iter()
        .map(|field| {
            (
                field["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("eventData.")
                    .to_owned(),
                field["type"].as_str().unwrap().to_owned(),
                field["when"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_variant_tuple_and_duration_has_rows_of_its_own() {
    let version = EventVersion::of::<Released>(&Config::new("acme", "ACME")).unwrap();
    let fields = catalogue_fields(version);
    let row =
        |path: &str, kind: &str, when: &str| (path.to_owned(), kind.to_owned(), when.to_owned());
    assert_eq!(
        rows(&fields),
        [
            row("outcome", "object: one of 3 variants, by `kind`", ""),
            row(
                "outcome.kind",
                "`\"done\"`, `\"failed\"` or `\"skipped\"`",
                ""
            ),
            row(
                "outcome.services",
                "integer from 0 to 4294967295",
                "`kind` is `\"done\"`"
            ),
            row(
                "outcome.code",
                "integer from -2147483648 to 2147483647",
                "`kind` is `\"failed\"`"
            ),
            row(
                "target",
                "`\"local\"`, or an object of one key: `cluster` or `hosts`",
                ""
            ),
            row("target.cluster", "object", ""),
            row("target.cluster.namespaces", "integer from 0 to 65535", ""),
            row("target.hosts", "integer from 0 to 4294967295", ""),
            row("measure", "integer ≥ 0 or object", ""),
            row(
                "measure.value",
                "integer ≥ 0",
                "it is variant 2 (A count with its unit.)"
            ),
            row(
                "measure.unit",
                "string",
                "it is variant 2 (A count with its unit.)"
            ),
            row("slowest", "object: one of 2 variants, by `step`", ""),
            row("slowest.step", "`\"pull\"` or `\"migrate\"`", ""),
            row(
                "slowest.detail",
                "integer from 0 to 4294967295",
                "`step` is `\"pull\"`"
            ),
            row("slowest.detail", "object", "`step` is `\"migrate\"`"),
            row(
                "slowest.detail.count",
                "integer from 0 to 4294967295",
                "`step` is `\"migrate\"`"
            ),
            row(
                "version",
                "tuple of (integer from 0 to 65535, integer from 0 to 65535)",
                ""
            ),
            row("took", "object", ""),
            row("took.secs", "integer ≥ 0", ""),
            row("took.nanos", "integer from 0 to 4294967295", ""),
        ]
    );
    for field in &fields {
        let path = field["path"].as_str().unwrap();
        assert!(
            !field["description"].as_str().unwrap().trim().is_empty(),
            "{path} has no description"
        );
        // A classification covers its field's subtree, variants included.
        let expected = if path.starts_with("eventData.target") {
            "customer_content"
        } else {
            "system_metadata"
        };
        assert_eq!(field["class"], expected, "{path}");
        assert!(field["purpose"].is_string(), "{path}");
    }
    let tag = &fields[1]["description"];
    assert_eq!(
        tag,
        "Which variant this is, and the fields it has.\n\n- `\"done\"`: Every service came up.\n- \
         `\"failed\"`: A service did not come up.\n- `\"skipped\"`: Nothing needed releasing."
    );
    assert_eq!(fields[18]["description"], "Whole seconds of the duration.");
    assert_eq!(fields[13]["description"], "Pulling images: how many.");
}

#[test]
fn the_docs_show_each_variant_and_when_its_fields_are_sent() {
    let config = Config::new("acme", "ACME");
    let version = EventVersion::of::<Released>(&config).unwrap();
    let docs = &files::generate(&[version], &config)[files::DOCS];
    for row in [
        "| `outcome.kind` | `\"done\"`, `\"failed\"` or `\"skipped\"` | yes | `system_metadata` | \
         `feature_insight` | Which variant this is, and the fields it has.<br><br>- `\"done\"`: \
         Every service came up.<br>- `\"failed\"`: A service did not come up.<br>- `\"skipped\"`: \
         Nothing needed releasing. |",
        "| `outcome.code` | integer from -2147483648 to 2147483647 | when `kind` is `\"failed\"` | \
         `system_metadata` | `feature_insight` | The error's code. |",
        "| `target.cluster` | object | no | `customer_content` | `feature_insight` | A Kubernetes \
         cluster. |",
        "| `took.nanos` | integer from 0 to 4294967295 | yes | `system_metadata` | \
         `performance_and_health` | Nanoseconds of the duration beyond its whole seconds: 0 to \
         999,999,999. |",
    ] {
        assert!(docs.contains(row), "{row}\nnot in\n{docs}");
    }
    assert!(!docs.contains("| any |"), "{docs}");
}

/// A point whose fields say nothing.
#[derive(Serialize, schemars::JsonSchema)]
struct Point {
    x: i32,
    y: i32,
}

/// Something was placed.
#[derive(Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = placed)]
struct Placed {
    /// Where.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    at: Point,
}

fn placed() -> Envelope<Placed> {
    Envelope::example(
        "acme place",
        Placed {
            at: Point { x: 1, y: 2 },
        },
    )
}

#[test]
fn a_field_nothing_describes_stops_the_generator() {
    let error = EventVersion::of::<Placed>(&Config::new("acme", "ACME")).unwrap_err();
    assert!(matches!(error, Error::Undescribed { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "Placed v1 (`enums::Placed`) sends fields nothing describes: `eventData.at.x`, \
         `eventData.at.y`; give the fields of their types doc comments (`///`), which become the \
         descriptions, or a `#[schemars(description = \"...\")]`"
    );
}

/// A measurement was taken.
#[derive(Serialize, schemars::JsonSchema, TelemetryEvent)]
#[serde(rename_all = "camelCase")]
#[telemetry(version = 1, example = measured)]
struct Measured {
    /// The ratio measured.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    ratio: f64,
}

fn measured() -> Envelope<Measured> {
    Envelope::example("acme measure", Measured { ratio: f64::NAN })
}

#[test]
fn an_example_the_schema_refuses_stops_the_generator_naming_the_field() {
    let error = EventVersion::of::<Measured>(&Config::new("acme", "ACME")).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`eventData.ratio` is NaN, which its schema refuses: numbers are finite"),
        "{error}"
    );
}
