//! Published versions are immutable and every change is classified: write and check behaviour
//! of the generator against a temporary directory, as the code of one event evolves.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use telemetry_core::werf::examples::build_on_a_mac;
use telemetry_core::{Envelope, TelemetryEvent};
use telemetry_schema::files;
use telemetry_schema::publish::Problem;
use telemetry_schema::sync::{Mode, Problem as FileProblem};
use telemetry_schema::{Config, Error, EventVersion};

fn config() -> Config {
    Config::new("mytool", "MYTOOL")
}

/// One variant of the `Deployed` event, in a module of its own: `telemetry(...)` keys, then
/// fields with their example values.
macro_rules! deployed {
    ($module:ident, [$($key:tt)*], { $($(#[$field_attr:meta])* $field:ident: $ty:ty = $value:expr),* $(,)? }) => {
        mod $module {
            use super::{Envelope, TelemetryEvent, build_on_a_mac};

            /// A deployment finished.
            #[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
            #[serde(rename_all = "camelCase")]
            #[telemetry(event_type = "Deployed", example = example, $($key)*)]
            pub(crate) struct Deployed {
                $(
                    #[doc = concat!("The ", stringify!($field), ".")]
                    #[telemetry(class = system_metadata, purpose = feature_insight)]
                    $(#[$field_attr])*
                    pub(crate) $field: $ty,
                )*
            }

            fn example() -> Envelope<Deployed> {
                Envelope::new(&build_on_a_mac(), 1_700_000_000_000, Deployed { $($field: $value),* })
            }
        }
    };
}

deployed!(v1, [version = 1], { duration_ms: u64 = 4200, success: bool = true });
deployed!(v1_changed, [version = 1], { duration_ms: u32 = 4200, target: String = "prod".into() });
mod v1_redescribed {
    use super::{Envelope, TelemetryEvent, build_on_a_mac};

    /// A deployment finished.
    #[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
    #[serde(rename_all = "camelCase")]
    #[telemetry(event_type = "Deployed", example = example, version = 1)]
    pub(crate) struct Deployed {
        /// The duration, in milliseconds.
        #[telemetry(class = system_metadata, purpose = performance_and_health)]
        pub(crate) duration_ms: u64,
        /// The success.
        #[telemetry(class = system_metadata, purpose = feature_insight)]
        pub(crate) success: bool,
    }

    fn example() -> Envelope<Deployed> {
        let event = Deployed {
            duration_ms: 4200,
            success: true,
        };
        Envelope::new(&build_on_a_mac(), 1_700_000_000_000, event)
    }
}
deployed!(v1_widened, [version = 1], {
    duration_ms: u64 = 4200,
    success: bool = true,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String> = None,
});
deployed!(v1_unreleased, [version = 1, unreleased], { duration_ms: u64 = 4200, success: bool = true });
deployed!(v2_draft, [version = 2, unreleased], {
    duration_ms: u64 = 4200,
    success: bool = true,
    target: String = "prod".into(),
});
deployed!(v2_draft_reworked, [version = 2, unreleased], {
    duration_ms: u64 = 4200,
    success: bool = true,
    #[serde(skip_serializing_if = "Option::is_none")]
    retries: Option<u8> = Some(1),
});
deployed!(v2, [version = 2], {
    duration_ms: u64 = 4200,
    success: bool = true,
    #[serde(skip_serializing_if = "Option::is_none")]
    retries: Option<u8> = Some(1),
});
deployed!(v3, [version = 3], {
    duration_ms: u64 = 4200,
    #[serde(skip_serializing_if = "Option::is_none")]
    retries: Option<u8> = None,
});

fn version<E: TelemetryEvent>() -> EventVersion {
    EventVersion::of::<E>(&config()).unwrap()
}

/// Runs `cargo xtask schema` for `code` under `root`: the files it would write, or why not.
fn generate(root: &Path, code: Vec<EventVersion>) -> Result<BTreeMap<String, String>, Error> {
    config().files(root, code).map(|(files, _previous)| files)
}

/// `cargo xtask schema` for `code` under `root`, which must succeed; returns the files written.
fn publish(root: &Path, code: Vec<EventVersion>) -> Vec<String> {
    let report = config().sync(root, code.clone(), Mode::Write).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let check = config().sync(root, code, Mode::Check).unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    report.written
}

fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap()
}

fn refusal(result: Result<BTreeMap<String, String>, Error>) -> Vec<Problem> {
    match result {
        Err(Error::Refused(refusal)) => refusal.problems,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

const V1_SCHEMA: &str = "schemas/events/Deployed.v1.schema.json";
const V1_EXAMPLES: &str = "examples/Deployed.v1.json";
const V2_SCHEMA: &str = "schemas/events/Deployed.v2.schema.json";

#[test]
fn an_unchanged_published_version_is_left_untouched() {
    let root = tempfile::tempdir().unwrap();
    let written = publish(root.path(), vec![version::<v1::Deployed>()]);
    assert!(written.contains(&V1_SCHEMA.to_owned()));
    let before = std::fs::metadata(root.path().join(V1_SCHEMA))
        .unwrap()
        .modified()
        .unwrap();

    assert!(publish(root.path(), vec![version::<v1::Deployed>()]).is_empty());
    let after = std::fs::metadata(root.path().join(V1_SCHEMA))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
}

#[test]
fn a_changed_published_version_is_refused_naming_every_change() {
    let root = tempfile::tempdir().unwrap();
    publish(root.path(), vec![version::<v1::Deployed>()]);
    let before = read(root.path(), V1_SCHEMA);

    let problems = refusal(generate(
        root.path(),
        vec![version::<v1_changed::Deployed>()],
    ));
    assert_eq!(problems.len(), 1);
    assert_eq!(
        problems[0].to_string(),
        "Deployed v1 is published, and its schema changed:\n\
         \x20 - `eventData.durationMs`: constraint tightened: `maximum` from `9007199254740991` to `4294967295` (breaking)\n\
         \x20 - `eventData.success`: key removed (breaking)\n\
         \x20 - `eventData.target`: required key added (breaking)\n\
         \x20 published versions never change what they accept: bump `version` to 2 in \
         #[telemetry(...)] on `evolution::v1_changed::Deployed` (v1's schema and examples stay as \
         they are), or undo the change; corrected descriptions alone need no bump"
    );
    // Refusing writes nothing, and `--check` refuses the same way.
    assert_eq!(read(root.path(), V1_SCHEMA), before);
}

#[test]
fn an_unreleased_version_is_rewritten_until_it_is_published() {
    let root = tempfile::tempdir().unwrap();
    publish(root.path(), vec![version::<v1::Deployed>()]);

    publish(root.path(), vec![version::<v2_draft::Deployed>()]);
    let draft = read(root.path(), V2_SCHEMA);
    assert!(draft.contains("unreleased: this version may still change"));
    assert!(draft.contains("\"target\""));
    assert!(
        read(root.path(), "docs/telemetry.md")
            .contains("Schema version 2 (unreleased: it may still change)")
    );

    let written = publish(root.path(), vec![version::<v2_draft_reworked::Deployed>()]);
    assert!(written.contains(&V2_SCHEMA.to_owned()));
    let reworked = read(root.path(), V2_SCHEMA);
    assert!(reworked.contains("\"retries\"") && !reworked.contains("\"target\""));

    // Removing the marker publishes it ...
    publish(root.path(), vec![version::<v2::Deployed>()]);
    let published = read(root.path(), V2_SCHEMA);
    assert!(!published.contains("unreleased"));
    // ... and then it cannot be unreleased, or changed, again.
    let problems = refusal(generate(
        root.path(),
        vec![version::<v2_draft_reworked::Deployed>()],
    ));
    assert_eq!(
        problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "Deployed v2 is published and cannot be marked `unreleased` again: remove `unreleased`, \
          or bump `version` to 3 to design the next version"
        ]
    );
    let problems = refusal(generate(root.path(), vec![version::<v2_draft::Deployed>()]));
    assert!(
        matches!(&problems[..], [Problem::Unpublished { version: 2, .. }]),
        "{problems:?}"
    );
}

#[test]
fn a_bump_keeps_every_older_version_and_classifies_the_changes() {
    let root = tempfile::tempdir().unwrap();
    publish(root.path(), vec![version::<v1::Deployed>()]);
    let v1_schema = read(root.path(), V1_SCHEMA);
    let v1_examples = read(root.path(), V1_EXAMPLES);

    publish(root.path(), vec![version::<v2::Deployed>()]);
    publish(root.path(), vec![version::<v3::Deployed>()]);
    assert_eq!(read(root.path(), V1_SCHEMA), v1_schema);
    assert_eq!(read(root.path(), V1_EXAMPLES), v1_examples);
    assert!(root.path().join(V2_SCHEMA).exists());

    let stream: Value = serde_json::from_str(&read(root.path(), files::STREAM_SCHEMA)).unwrap();
    let definitions: Vec<&String> = stream["$defs"].as_object().unwrap().keys().collect();
    assert_eq!(
        definitions,
        [
            "Attributes",
            "DeployedV1",
            "DeployedV1Data",
            "DeployedV2",
            "DeployedV2Data",
            "DeployedV3",
            "DeployedV3Data"
        ]
    );
    let catalogue: Value = serde_json::from_str(&read(root.path(), files::CATALOGUE)).unwrap();
    let recorded: Vec<(&Value, &Value)> = catalogue["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| (&event["eventType"], &event["schemaVersion"]))
        .collect();
    assert_eq!(recorded.len(), 3);

    let docs = read(root.path(), "docs/telemetry.md");
    assert!(
        docs.contains("| 3 | **breaking**<br>`eventData.success`: key removed (breaking) |"),
        "{docs}"
    );
    assert!(docs.contains(
        "| 2 | **compatible**<br>`eventData.retries`: optional key added (compatible) |"
    ));
    assert!(docs.contains("| 1 | first version |"));
}

#[test]
fn every_example_of_every_kept_version_replays_against_its_schema_and_the_stream_schema() {
    let root = tempfile::tempdir().unwrap();
    publish(root.path(), vec![version::<v1::Deployed>()]);
    publish(root.path(), vec![version::<v2::Deployed>()]);
    publish(root.path(), vec![version::<v3::Deployed>()]);
    replay(root.path(), 3);
}

use telemetry_tests::replay_examples as replay;

#[test]
fn deleted_older_versions_are_refused() {
    let root = tempfile::tempdir().unwrap();
    publish(root.path(), vec![version::<v1::Deployed>()]);
    publish(root.path(), vec![version::<v2::Deployed>()]);

    std::fs::remove_file(root.path().join(V1_EXAMPLES)).unwrap();
    let problems = refusal(generate(root.path(), vec![version::<v2::Deployed>()]));
    assert_eq!(
        problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "examples/Deployed.v1.json is missing: published versions are kept forever; restore it from \
          version control"
        ]
    );

    std::fs::remove_file(root.path().join(V1_SCHEMA)).unwrap();
    let problems = refusal(generate(root.path(), vec![version::<v2::Deployed>()]));
    assert_eq!(
        problems,
        [Problem::Missing {
            path: V1_SCHEMA.into()
        }],
        "the stream schema remembers v1"
    );
}

#[test]
fn skipping_a_version_or_going_back_is_refused() {
    let root = tempfile::tempdir().unwrap();
    publish(root.path(), vec![version::<v1::Deployed>()]);

    let problems = refusal(generate(root.path(), vec![version::<v3::Deployed>()]));
    assert_eq!(
        problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "Deployed goes from v1 to v3 without v2: versions go up one at a time and every published \
          one is kept; restore deleted files from version control"
        ]
    );

    publish(root.path(), vec![version::<v2_draft::Deployed>()]);
    let problems = refusal(generate(root.path(), vec![version::<v3::Deployed>()]));
    assert!(problems[0].to_string().ends_with(
        " (v2 never released: keep designing it as `unreleased` instead of bumping past it)"
    ));

    publish(root.path(), vec![version::<v2::Deployed>()]);
    let problems = refusal(generate(root.path(), vec![version::<v1::Deployed>()]));
    assert_eq!(
        problems,
        [Problem::WentBack {
            event_type: "Deployed".into(),
            code: 1,
            published: 2
        }]
    );
    let problems = refusal(generate(root.path(), vec![version::<v2_draft::Deployed>()]));
    assert!(problems.contains(&Problem::Unpublished {
        event_type: "Deployed".into(),
        version: 2
    }));
}

#[test]
fn one_event_type_is_one_rust_types_history() {
    let root = tempfile::tempdir().unwrap();
    let problems = refusal(generate(
        root.path(),
        vec![version::<v1::Deployed>(), version::<v2_draft::Deployed>()],
    ));
    assert_eq!(
        problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "Deployed is defined by more than one type: `evolution::v1::Deployed` (v1), \
             `evolution::v2_draft::Deployed` (v2); an event type belongs to one Rust type, which \
             defines its newest version (older versions live on in the published files): give \
             the others an `event_type` of their own"
        ]
    );
}

#[test]
fn a_published_version_takes_corrected_descriptions_and_classifications_and_records_them() {
    let root = tempfile::tempdir().unwrap();
    publish(root.path(), vec![version::<v1::Deployed>()]);
    let before = read(root.path(), V1_SCHEMA);

    let written = publish(root.path(), vec![version::<v1_redescribed::Deployed>()]);
    assert!(written.contains(&V1_SCHEMA.to_owned()), "{written:?}");
    let after = read(root.path(), V1_SCHEMA);
    assert_ne!(after, before);
    assert!(after.contains("The duration, in milliseconds."));

    let catalogue: Value = serde_json::from_str(&read(root.path(), files::CATALOGUE)).unwrap();
    // The field's purpose changed too: what a field is or why it is sent is documentation.
    assert_eq!(
        catalogue["events"][0]["amendments"],
        serde_json::json!([{
            "kind": "descriptions",
            "changes": ["`eventData.durationMs`: description changed (compatible)"],
        }, {
            "kind": "classification",
            "changes": ["`eventData.durationMs`: class `system_metadata`, purpose `feature_insight` \
                         → class `system_metadata`, purpose `performance_and_health`"],
        }])
    );
    assert!(read(root.path(), "docs/telemetry.md").contains(
        "| 1 | first version<br>**amended**, descriptions corrected: \
             `eventData.durationMs`: description changed (compatible)<br>**amended**, \
             classification changed: `eventData.durationMs`: class `system_metadata`, purpose \
             `feature_insight` → class `system_metadata`, purpose `performance_and_health` |"
    ));
    // Recorded once: the next run changes nothing, and a bump keeps the record.
    assert!(publish(root.path(), vec![version::<v1_redescribed::Deployed>()]).is_empty());
    publish(root.path(), vec![version::<v2::Deployed>()]);
    let catalogue: Value = serde_json::from_str(&read(root.path(), files::CATALOGUE)).unwrap();
    assert_eq!(
        catalogue["events"][0]["amendments"][0]["kind"],
        "descriptions"
    );
    assert_eq!(catalogue["events"][0]["sent"], false);
    assert_eq!(catalogue["events"][1]["sent"], true);
}

#[test]
fn a_published_version_is_widened_only_for_a_reason_and_never_narrowed() {
    let root = tempfile::tempdir().unwrap();
    publish(root.path(), vec![version::<v1::Deployed>()]);
    let widened = || vec![version::<v1_widened::Deployed>()];

    // Without a reason, a widening is refused like any change, saying it could be corrected.
    let problems = refusal(generate(root.path(), widened()));
    let message = problems[0].to_string();
    assert!(
        message.contains("  - `eventData.target`: optional key added (compatible)\n"),
        "{message}"
    );
    assert!(
        message.contains("`cargo xtask schema --widen \"REASON\"`"),
        "{message}"
    );

    // With one, the file is rewritten and the correction recorded, with its reason.
    let reason = "mytool 1.2 already sends `target`";
    let report = config()
        .widen(reason)
        .sync(root.path(), widened(), Mode::Write)
        .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(report.written.contains(&V1_SCHEMA.to_owned()));
    assert!(read(root.path(), V1_SCHEMA).contains("\"target\""));
    let catalogue: Value = serde_json::from_str(&read(root.path(), files::CATALOGUE)).unwrap();
    assert_eq!(
        catalogue["events"][0]["amendments"],
        serde_json::json!([{
            "kind": "widening",
            "changes": ["`eventData.target`: optional key added (compatible)"],
            "reason": reason,
        }])
    );
    assert!(read(root.path(), "docs/telemetry.md").contains(
        "| 1 | first version<br>**amended**, widened (every payload it accepted stays \
         accepted), because mytool 1.2 already sends `target`: `eventData.target`: optional key \
         added (compatible) |"
    ));

    // Then it is as immutable as any: up to date without a reason, and going back (which
    // narrows) is refused even with one.
    assert!(publish(root.path(), widened()).is_empty());
    let problems = refusal(
        config()
            .widen("no reason makes narrowing safe")
            .files(root.path(), vec![version::<v1::Deployed>()])
            .map(|(files, _)| files),
    );
    let message = problems[0].to_string();
    assert!(
        message.contains("`eventData.target`: key removed (breaking)"),
        "{message}"
    );
    assert!(!message.contains("--widen"), "{message}");
    // A breaking change together with a widening one is refused whole.
    let problems = refusal(
        config()
            .widen("a reason")
            .files(root.path(), vec![version::<v1_changed::Deployed>()])
            .map(|(files, _)| files),
    );
    assert!(matches!(problems[0], Problem::Changed { .. }));
}

#[test]
fn an_unreleased_first_version_is_a_draft_until_published() {
    let root = tempfile::tempdir().unwrap();
    publish(root.path(), vec![version::<v1_unreleased::Deployed>()]);
    assert!(read(root.path(), V1_SCHEMA).contains("unreleased"));
    // A draft that no type defines anymore is stray, and removed on write.
    let check = config().sync(root.path(), vec![], Mode::Check).unwrap();
    assert!(check.problems.contains(&FileProblem::Stray {
        path: V1_SCHEMA.into()
    }));
    publish(root.path(), vec![]);
    assert!(!root.path().join(V1_SCHEMA).exists());
}

/// `schema` as a generator without standard keywords wrote it: schemars' integer formats instead
/// of bounds, no `$id`, no titles on definitions.
fn in_old_keywords(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if object.get("maximum") == Some(&Value::from(9_007_199_254_740_991_i64)) {
                object.remove("maximum");
                object.insert("format".into(), "uint64".into());
            }
            object.remove("$id");
            if let Some(Value::Object(definitions)) = object.get_mut("$defs") {
                for definition in definitions.values_mut() {
                    if let Some(definition) = definition.as_object_mut() {
                        definition.remove("title");
                    }
                }
            }
            for (key, value) in object.iter_mut() {
                if key != "const" && key != "enum" {
                    in_old_keywords(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(in_old_keywords),
        _ => {}
    }
}

#[test]
fn a_version_published_in_old_keywords_is_rewritten_in_standard_ones_and_recorded() {
    let root = tempfile::tempdir().unwrap();
    publish(root.path(), vec![version::<v1::Deployed>()]);
    let standard = read(root.path(), V1_SCHEMA);
    let mut old: Value = serde_json::from_str(&standard).unwrap();
    in_old_keywords(&mut old);
    let old_text = serde_json::to_string_pretty(&old).unwrap() + "\n";
    assert!(old_text.contains("\"format\": \"uint64\"") && !old_text.contains("$id"));
    std::fs::write(root.path().join(V1_SCHEMA), &old_text).unwrap();

    // Anything more than the rewrite is refused, measured against the rewritten file.
    let problems = refusal(generate(
        root.path(),
        vec![version::<v1_changed::Deployed>()],
    ));
    assert!(
        matches!(&problems[..], [Problem::Changed { .. }]),
        "{problems:?}"
    );
    assert!(
        !problems[0].to_string().contains("format"),
        "{}",
        problems[0]
    );

    let written = publish(root.path(), vec![version::<v1::Deployed>()]);
    assert!(written.contains(&V1_SCHEMA.to_owned()));
    assert_eq!(read(root.path(), V1_SCHEMA), standard);
    let catalogue: Value = serde_json::from_str(&read(root.path(), files::CATALOGUE)).unwrap();
    let amendment = &catalogue["events"][0]["amendments"][0];
    assert_eq!(amendment["kind"], "standard-keywords");
    let changes: Vec<&str> = amendment["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change.as_str().unwrap())
        .collect();
    assert!(
        changes.contains(&"`(root)`: `$id` changed (compatible)"),
        "{changes:?}"
    );
    assert!(
        changes.contains(
            &"`ts`: constraint relaxed: `format` removed (was `\"uint64\"`) (compatible)"
        ),
        "{changes:?}"
    );
}
