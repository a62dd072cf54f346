//! The optimised paths give byte for byte what the straightforward ones give: a registration's
//! envelope schema (built without instantiating schemars per event) against
//! `into_root_schema_for::<Envelope<E>>`, and its example payloads (encoded as `emit` encodes,
//! then re-indented) against `serde_json::to_string_pretty`. The encoder and the re-indenting
//! are also compared on random inputs, in `telemetry-core`'s own tests.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

use telemetry_core::registry::EventRegistration;
use telemetry_core::werf::{
    BuildFinished, BuildStarted, CommandExited, CommandStarted, ImageBuildFinished,
    StageBuildFinished, UnshallowFailed,
};
use telemetry_core::{Envelope, TelemetryEvent};
use telemetry_schema::settings;

fn assert_same_as_straightforward<E: TelemetryEvent>() {
    let registration = EventRegistration::of::<E>("fast_paths");
    let fast = registration.envelope_schema(settings());
    let straightforward = settings()
        .into_generator()
        .into_root_schema_for::<Envelope<E>>();
    assert_eq!(fast, straightforward, "{}", E::EVENT_TYPE);

    let payloads = registration.example_payloads().unwrap();
    let expected: Vec<String> = E::examples()
        .iter()
        .map(|example| serde_json::to_string_pretty(example).unwrap())
        .collect();
    assert_eq!(payloads, expected, "{}", E::EVENT_TYPE);
}

#[test]
fn the_catalog_takes_the_fast_paths_to_the_same_bytes() {
    assert_same_as_straightforward::<CommandStarted>();
    assert_same_as_straightforward::<CommandExited>();
    assert_same_as_straightforward::<UnshallowFailed>();
    assert_same_as_straightforward::<BuildStarted>();
    assert_same_as_straightforward::<BuildFinished>();
    assert_same_as_straightforward::<ImageBuildFinished>();
    assert_same_as_straightforward::<StageBuildFinished>();
}

/// A tree of steps, which refers to itself.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Step {
    /// The step's name.
    name: String,
    /// Steps within it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    children: Vec<Step>,
}

/// How the pipeline ended.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
enum Outcome {
    /// It succeeded.
    AllGood,
    /// It failed.
    Failed,
}

/// A pipeline ran.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[serde(rename_all = "camelCase")]
#[telemetry(version = 5, event_type = "PipelineRan", example = short, example = deep, unreleased)]
struct Pipeline {
    /// Its steps.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    root: Step,
    /// How it ended.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    outcome: Outcome,
    /// Its labels.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    labels: std::collections::BTreeMap<String, u8>,
    /// An optional note.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    note: Option<String>,
}

fn short() -> Envelope<Pipeline> {
    let event = Pipeline {
        root: Step {
            name: "only".into(),
            children: Vec::new(),
        },
        outcome: Outcome::AllGood,
        labels: std::collections::BTreeMap::new(),
        note: None,
    };
    Envelope::new(&telemetry_core::werf::examples::build_on_a_mac(), 1, event)
}

fn deep() -> Envelope<Pipeline> {
    let leaf = |name: &str| Step {
        name: name.into(),
        children: Vec::new(),
    };
    let event = Pipeline {
        root: Step {
            name: "root \"quoted\"\n".into(),
            children: vec![
                leaf("a"),
                Step {
                    name: "b".into(),
                    children: vec![leaf("c")],
                },
            ],
        },
        outcome: Outcome::Failed,
        labels: [("z".to_owned(), 1), ("é".to_owned(), 2)].into(),
        note: Some("{[:,]}".into()),
    };
    Envelope::new(
        &telemetry_core::werf::examples::converge_in_gitlab_ci(),
        2,
        event,
    )
}

#[test]
fn nested_recursive_and_enum_types_take_the_fast_paths_to_the_same_bytes() {
    assert_same_as_straightforward::<Pipeline>();
}
