//! Classifications from the type to every reader: the hash wrapper's schema and its key per
//! installation, the generator's policy, the catalogue's fields and the docs' privacy section.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

use std::ffi::OsString;
use std::path::Path;

use serde_json::{Value, json};
use telemetry_core::classify::DataClass;
use telemetry_core::sink::Memory;
use telemetry_core::{Envelope, HashKey, Hashed, Settings, Telemetry, TelemetryEvent};
use telemetry_schema::{Config, Error, EventVersion, docs, files};
use telemetry_tests::werf_config;

/// A plugin was loaded.
#[derive(Debug, serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[serde(rename_all = "camelCase")]
#[telemetry(version = 1, example = loaded)]
pub struct PluginLoaded {
    /// The plugin's name, hashed: plugins are the user's own.
    #[telemetry(class = customer_content, purpose = feature_insight)]
    pub plugin: Hashed<String>,
    /// Where the plugin was loaded from.
    #[telemetry(class = customer_content, purpose = performance_and_health)]
    pub path: String,
    /// How long loading took, in milliseconds.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    pub duration_ms: u64,
}

fn loaded() -> Envelope<PluginLoaded> {
    Envelope::example("acme run", plugin("my-plugin"))
}

fn plugin(name: &str) -> PluginLoaded {
    PluginLoaded {
        plugin: Hashed::new(name.into()),
        path: "/opt/plugins".into(),
        duration_ms: 3,
    }
}

fn acme() -> Config {
    Config::new("acme", "ACME")
}

#[test]
fn a_hashed_field_has_an_exact_schema_and_a_pseudonymous_class() {
    let version = EventVersion::of::<PluginLoaded>(&acme()).unwrap();
    assert_eq!(
        version.schema["$defs"]["PluginLoaded"]["properties"]["plugin"],
        json!({
            "description": "The plugin's name, hashed: plugins are the user's own.",
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
        })
    );
    let plugin = version.classifications["eventData.plugin"];
    assert!(plugin.hashed);
    assert_eq!(plugin.class, DataClass::CustomerContent);
    assert_eq!(plugin.sent_class(), DataClass::EndUserPseudonymized);
    // The example is hashed with the example key: the same on every run, and valid.
    let example: Value = serde_json::from_str(&version.examples[0]).unwrap();
    assert_eq!(
        example["eventData"]["plugin"],
        HashKey::EXAMPLE.hash(b"my-plugin")
    );
    let validator = jsonschema::draft202012::new(&version.schema).unwrap();
    assert!(validator.is_valid(&example));
    let mut unhashed = example;
    unhashed["eventData"]["plugin"] = "my-plugin".into();
    assert!(!validator.is_valid(&unhashed));
}

/// Runs telemetry once with `ACME_TELEMETRY_CONFIG_DIR=config_dir` and a log file in `log_dir`,
/// emitting `events`; returns every envelope and every diagnostic line.
fn run(config_dir: &Path, log_dir: &Path, events: Vec<PluginLoaded>) -> (Vec<Value>, Vec<Value>) {
    let memory = Memory::default();
    let log = tempfile::NamedTempFile::new_in(log_dir)
        .unwrap()
        .into_temp_path();
    let telemetry = Telemetry::builder(Settings {
        command: "acme run".into(),
        // Not what is tested: every event is delivered, however loaded the machine.
        shutdown_timeout: std::time::Duration::from_mins(1),
        ..Settings::new("ACME", "acme", "1.0.0")
    })
    .vars([
        (
            OsString::from("ACME_TELEMETRY_CONFIG_DIR"),
            config_dir.as_os_str().to_owned(),
        ),
        (
            OsString::from("ACME_TELEMETRY_LOG_FILE"),
            log.as_os_str().to_owned(),
        ),
    ])
    .sink(memory.clone())
    .build();
    for event in events {
        telemetry.emit(event);
    }
    telemetry.shutdown();
    let envelopes = memory
        .envelopes()
        .iter()
        .map(|envelope| serde_json::from_str(envelope).unwrap())
        .collect();
    let diagnostics = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|line| line.get("diagnostic").is_some())
        .collect();
    (envelopes, diagnostics)
}

fn hash_of(envelope: &Value) -> &str {
    envelope["eventData"]["plugin"].as_str().unwrap()
}

#[test]
fn hashes_are_the_same_for_one_installation_and_differ_between_installations() {
    let scratch = tempfile::tempdir().unwrap();
    let (one, other) = (scratch.path().join("one"), scratch.path().join("other"));
    let (first, diagnostics) = run(&one, scratch.path(), vec![plugin("a"), plugin("b")]);
    assert_eq!(diagnostics, Vec::<Value>::new());
    let (second, _) = run(&one, scratch.path(), vec![plugin("a")]);
    let (elsewhere, _) = run(&other, scratch.path(), vec![plugin("a")]);

    assert_eq!(hash_of(&first[0]), hash_of(&second[0]));
    assert_ne!(hash_of(&first[0]), hash_of(&first[1]));
    assert_ne!(hash_of(&first[0]), hash_of(&elsewhere[0]));
    // The hash is the HMAC of the value with the stored secret, which is never sent.
    let stored = std::fs::read_to_string(one.join("hash-key")).unwrap();
    let key = HashKey::from_hex(&stored).unwrap();
    assert_eq!(hash_of(&first[0]), key.hash(b"a"));
    for envelope in first.iter().chain(&second) {
        assert!(!envelope.to_string().contains(stored.trim()));
        assert!(!envelope.to_string().contains("\"a\""));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(one.join("hash-key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_secret_that_cannot_be_stored_is_thrown_away_after_the_run() {
    let scratch = tempfile::tempdir().unwrap();
    let blocked = scratch.path().join("a-file");
    std::fs::write(&blocked, "").unwrap();
    let config_dir = blocked.join("telemetry");
    let (first, diagnostics) = run(&config_dir, scratch.path(), vec![plugin("a"), plugin("a")]);
    let (second, _) = run(&config_dir, scratch.path(), vec![plugin("a")]);
    // One secret for the run, another for the next.
    assert_eq!(hash_of(&first[0]), hash_of(&first[1]));
    assert_ne!(hash_of(&first[0]), hash_of(&second[0]));
    // Said once, beside the remembered choice that cannot be read either.
    let about_the_key: Vec<&Value> = diagnostics
        .iter()
        .filter(|line| line["message"].as_str().unwrap().contains("hash key"))
        .collect();
    assert_eq!(about_the_key.len(), 1, "{diagnostics:?}");
    assert_eq!(about_the_key[0]["diagnostic"], "configuration");
    assert!(
        about_the_key[0]["message"]
            .as_str()
            .unwrap()
            .contains("for this run only"),
        "{diagnostics:?}"
    );
}

#[test]
fn events_without_hashed_fields_never_touch_the_configuration_directory() {
    let scratch = tempfile::tempdir().unwrap();
    let config_dir = scratch.path().join("config");
    let telemetry = Telemetry::builder(Settings::new("ACME", "acme", "1.0.0"))
        .vars([(
            OsString::from("ACME_TELEMETRY_CONFIG_DIR"),
            config_dir.as_os_str().to_owned(),
        )])
        .sink(Memory::default())
        .build();
    telemetry.emit(telemetry_core::werf::CommandExited {
        exit_code: 0,
        duration_ms: 1,
    });
    telemetry.shutdown();
    assert!(!config_dir.exists());
}

#[test]
fn the_policy_refuses_forbidden_fields_naming_the_event_the_field_and_the_rule() {
    let scratch = tempfile::tempdir().unwrap();
    let strict = acme()
        .forbid_unless_hashed(DataClass::CustomerContent)
        .forbid(DataClass::PublicPersonal);
    let code = vec![EventVersion::of::<PluginLoaded>(&strict).unwrap()];
    let error = strict.files(scratch.path(), code.clone()).unwrap_err();
    let Error::Forbidden(violations) = &error else {
        panic!("{error}");
    };
    // The hashed field passes; the path does not.
    assert_eq!(violations.len(), 1, "{error}");
    assert_eq!(violations[0].field, "eventData.path");
    assert_eq!(
        error.to_string(),
        "PluginLoaded v1 (`privacy::PluginLoaded`): field `eventData.path` is `customer_content`, \
         which the policy forbids (no `customer_content` fields unless hashed); send it as \
         `telemetry_core::Hashed<_>`, or leave it out"
    );
    // Forbidding the class outright refuses the hashed field too.
    let stricter = acme().forbid(DataClass::CustomerContent);
    let Err(Error::Forbidden(violations)) = stricter.files(scratch.path(), code.clone()) else {
        panic!("not refused");
    };
    let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["eventData.path", "eventData.plugin"]);
    // Without a policy, the same code generates its files.
    assert!(acme().files(scratch.path(), code).is_ok());

    // werf's catalog, under a policy against raw error text.
    let werf = werf_config().forbid(DataClass::CallStackOrException);
    let versions = EventVersion::registered(&werf).unwrap();
    let error = werf
        .files(scratch.path(), versions)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(
            "UnshallowFailed v2 (`telemetry_core::werf::UnshallowFailed`): field \
             `eventData.errorMessage` is `call_stack_or_exception`"
        ),
        "{error}"
    );
}

#[test]
fn the_catalogue_lists_every_field_with_its_class_purpose_and_type() {
    let config = acme();
    let versions = vec![EventVersion::of::<PluginLoaded>(&config).unwrap()];
    let files = files::generate(&versions, &config);
    let catalogue: Value = serde_json::from_str(&files[files::CATALOGUE]).unwrap();
    let fields = catalogue["events"][0]["fields"].as_array().unwrap();
    let paths: Vec<&str> = fields.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "ts",
            "executionID",
            "userID",
            "projectID",
            "command",
            "attributes",
            "attributes.arch",
            "attributes.os",
            "attributes.version",
            "attributes.ci",
            "attributes.extra",
            // Absent from the example, so after the keys it shows.
            "attributes.ciName",
            "eventType",
            "eventData",
            "eventData.plugin",
            "eventData.path",
            "eventData.durationMs",
            "schemaVersion",
        ]
    );
    let plugin = &fields[14];
    assert_eq!(
        plugin,
        &json!({
            "path": "eventData.plugin",
            "type": "string (keyed hash)",
            "required": true,
            "class": "customer_content",
            "purpose": "feature_insight",
            "hashed": true,
            "description": "The plugin's name, hashed: plugins are the user's own.",
        })
    );
    assert_eq!(fields[10]["class"], "customer_content");
    assert_eq!(fields[1]["class"], "end_user_pseudonymized");
}

#[test]
fn the_privacy_section_claims_no_more_than_the_classes_allow() {
    let config = acme();
    let versions = vec![EventVersion::of::<PluginLoaded>(&config).unwrap()];
    let page = docs::render(&versions, &config);
    for claim in [
        "anonymous usage",
        "no personal information",
        "not associated",
    ] {
        assert!(!page.contains(claim), "the page claims {claim:?}");
    }
    assert!(page.contains(
        "The data is pseudonymous, not anonymous: identifiers (`eventData.plugin`, \
         `executionID`, `projectID` and `userID`) tie events together"
    ));
    assert!(page.contains(
        "some fields hold names and text the user chose (`attributes.extra` and \
         `eventData.path`)"
    ));
    let privacy = &page[page.find("## Privacy").unwrap()..];
    let privacy = &privacy[..privacy.find("\n## Configuring").unwrap()];
    assert!(privacy.contains("| `customer_content` | What the user wrote or chose"));
    assert!(
        privacy
            .contains("- `eventData.path` (in `PluginLoaded`): Where the plugin was loaded from.")
    );
    assert!(privacy.contains("### Free text\n"));
    assert!(
        privacy.contains(
            "- `attributes.extra` (every event)\n- `eventData.path` (in `PluginLoaded`)\n"
        )
    );
    assert!(privacy.contains(
        "- `eventData.plugin` (in `PluginLoaded`): a keyed hash (HMAC-SHA-256) of \
         `customer_content` data. The key is a random secret made once per installation and kept \
         in the file `hash-key` of the telemetry configuration directory \
         (`ACME_TELEMETRY_CONFIG_DIR`), never sent"
    ));
    assert!(privacy.contains("anyone with a list of public repository addresses can tell"));
    // The field table shows what is sent and what it was made from.
    assert!(page.contains(
        "| `plugin` | string (keyed hash) | yes | `end_user_pseudonymized` (keyed hash of \
         `customer_content`) | `feature_insight` |"
    ));

    // werf's own page names its raw error text, and promises no anonymity.
    let werf_page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/telemetry.md"))
            .unwrap();
    assert!(werf_page.contains("error messages are sent as written"));
    assert!(!werf_page.contains("anonymous usage"));
}

#[test]
fn the_privacy_section_states_the_retention_configured_and_how_erasure_is_done() {
    let privacy = |config: &Config| {
        let versions = vec![EventVersion::of::<PluginLoaded>(config).unwrap()];
        let page = docs::render(&versions, config);
        let start = page
            .find("### How long the data is kept, and erasure")
            .unwrap();
        let section = &page[start..];
        section[..section.find("\n## ").unwrap()].to_owned()
    };
    let unset = privacy(&acme());
    assert!(unset.contains(
        "No retention is configured: what is received is kept until its operator deletes it."
    ));
    assert!(unset.contains("ask the program's maintainers, quoting its installation ID"));
    let set = privacy(
        &acme()
            .retention_days(90, 14)
            .erasure_contact("privacy@acme.example"),
    );
    assert!(set.contains("Events are kept for 90 day(s) after they are received, then deleted."));
    assert!(set.contains("are kept for 14 day(s)."));
    assert!(set.contains("ask the program's maintainers (privacy@acme.example), quoting"));
    assert!(set.contains("`telemetry-receiver forget`"));
}
