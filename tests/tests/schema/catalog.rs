//! werf's seven events: payloads equal to werf's published examples, wire details, round trips.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

use serde::de::DeserializeOwned;
use telemetry_core::werf::{
    BaseImageSource, BuildFinished, BuildStarted, CommandExited, CommandStarted, ConfigType,
    ImageBuildFinished, StageBuildFinished, UnshallowFailed, examples,
};
use telemetry_core::{Attributes, Context, Envelope, TelemetryEvent, registry};

/// werf's page's payload for `event_type`, exactly as published.
fn seed_payload(event_type: &str) -> String {
    let path = format!(
        "{}/fixtures/seed/{event_type}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The example of `E` equals werf's payload as a JSON value and, pretty-printed, byte for byte
/// (which also pins the key order).
fn assert_matches_seed<E: TelemetryEvent>() {
    let examples = E::examples();
    assert_eq!(examples.len(), 1, "{} has one example", E::EVENT_TYPE);
    let seed = seed_payload(E::EVENT_TYPE);
    let expected: serde_json::Value = serde_json::from_str(&seed).unwrap();
    assert_eq!(serde_json::to_value(&examples[0]).unwrap(), expected);
    assert_eq!(
        serde_json::to_string_pretty(&examples[0]).unwrap() + "\n",
        seed
    );
}

#[test]
fn examples_reproduce_werfs_published_payloads() {
    assert_matches_seed::<CommandStarted>();
    assert_matches_seed::<CommandExited>();
    assert_matches_seed::<BuildStarted>();
    assert_matches_seed::<BuildFinished>();
    assert_matches_seed::<ImageBuildFinished>();
    assert_matches_seed::<StageBuildFinished>();
}

#[test]
fn unshallow_failed_has_a_realistic_example_from_gitlab_ci() {
    let [example] = <[_; 1]>::try_from(UnshallowFailed::examples()).unwrap();
    assert_eq!(
        example.context.attributes.ci_name.as_deref(),
        Some("gitlab")
    );
    assert_eq!(
        example.context.attributes.group_channel.as_deref(),
        Some("stable")
    );
    assert!(!example.event.error_message.is_empty());
    assert!(example.event.gitlab_runner_version.starts_with("16."));
    let json = serde_json::to_value(&example).unwrap();
    let keys: Vec<_> = json["eventData"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        keys,
        ["errorMessage", "gitlabRunnerVersion", "gitlabServerVersion"]
    );
}

/// Serialise, deserialise, serialise again: the same JSON, the same value.
fn assert_round_trips<E: TelemetryEvent + DeserializeOwned + PartialEq + std::fmt::Debug>() {
    for example in E::examples() {
        let json = serde_json::to_string(&example).unwrap();
        let back: Envelope<E> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, example);
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }
}

#[test]
fn every_event_round_trips_through_its_rust_type() {
    assert_round_trips::<CommandStarted>();
    assert_round_trips::<CommandExited>();
    assert_round_trips::<UnshallowFailed>();
    assert_round_trips::<BuildStarted>();
    assert_round_trips::<BuildFinished>();
    assert_round_trips::<ImageBuildFinished>();
    assert_round_trips::<StageBuildFinished>();
}

#[test]
fn the_catalog_registers_seven_events_at_version_2() {
    let events = registry::events().unwrap();
    let names: Vec<_> = events
        .iter()
        .map(|event| {
            (
                event.event_type(),
                event.schema_version(),
                event.unreleased(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("BuildFinished", 2, false),
            ("BuildStarted", 2, false),
            ("CommandExited", 2, false),
            ("CommandStarted", 2, false),
            ("ImageBuildFinished", 2, false),
            ("StageBuildFinished", 2, false),
            ("UnshallowFailed", 2, false),
        ]
    );
    let stage = events
        .iter()
        .find(|e| e.event_type() == "StageBuildFinished")
        .unwrap();
    assert_eq!(
        stage.rust_path(),
        "telemetry_core::werf::StageBuildFinished"
    );
    assert_eq!(
        stage.example_payloads().unwrap(),
        [serde_json::to_string_pretty(&examples::stage_build_finished()).unwrap()]
    );
}

#[test]
fn deserialising_rejects_another_event_type_or_version() {
    let mut json = serde_json::to_value(examples::build_started()).unwrap();
    json["schemaVersion"] = 3.into();
    let error = serde_json::from_value::<Envelope<BuildStarted>>(json.clone()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("expected schemaVersion 2 of `BuildStarted`, found 3")
    );

    json["schemaVersion"] = 2.into();
    json["eventType"] = "BuildFinished".into();
    let error = serde_json::from_value::<Envelope<BuildStarted>>(json.clone()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("expected eventType `BuildStarted`, found `BuildFinished`")
    );

    json["eventType"] = "BuildStarted".into();
    json["attributes"]["unexpected"] = true.into();
    assert!(serde_json::from_value::<Envelope<BuildStarted>>(json).is_err());
}

#[test]
fn empty_values_follow_werfs_omission_rules() {
    let context = Context::default();
    let started = serde_json::to_value(Envelope::new(
        &context,
        1,
        CommandStarted {
            command_options: Vec::new(),
        },
    ))
    .unwrap();
    assert!(
        started["eventData"].as_object().unwrap().is_empty(),
        "no commandOptions key"
    );

    let image = ImageBuildFinished {
        image: "app".into(),
        duration_ms: 1,
        rebuilt: false,
        config_type: None,
    };
    let json = serde_json::to_value(Envelope::new(&context, 1, image)).unwrap();
    assert!(json["eventData"].get("configType").is_none());

    let stage = StageBuildFinished {
        base_image_source: BaseImageSource::Empty,
        ..examples::stage_build_finished().event
    };
    let json = serde_json::to_value(Envelope::new(&context, 1, stage)).unwrap();
    assert_eq!(json["eventData"]["baseImageSource"], "");

    let values: Vec<_> = [
        ConfigType::Stapel,
        ConfigType::Dockerfile,
        ConfigType::Staged,
        ConfigType::Unknown,
    ]
    .iter()
    .map(|value| serde_json::to_value(value).unwrap())
    .collect();
    assert_eq!(values, ["stapel", "dockerfile", "staged", "unknown"]);
}

#[test]
fn attributes_keep_werfs_key_order_with_every_key_present() {
    let attributes = Attributes {
        arch: "amd64".into(),
        os: "linux".into(),
        group_channel: Some("stable".into()),
        version: "2.1.0".into(),
        ci: true,
        ci_name: Some("github-actions".into()),
        extra: [("team".to_owned(), "platform".to_owned())].into(),
    };
    assert_eq!(
        serde_json::to_string(&attributes).unwrap(),
        r#"{"arch":"amd64","os":"linux","groupChannel":"stable","version":"2.1.0","ci":true,"ciName":"github-actions","extra":{"team":"platform"}}"#
    );
}
