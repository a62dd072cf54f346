//! `#[derive(telemetry_core::JsonSchema)]` gives, where schemas are read (`telemetry-core`'s
//! `schema` feature, on in this crate), exactly the schema schemars' own derive gives for the
//! same type: the same definitions, names and IDs, for events and the types of their fields.
//! (werf's catalog uses it too, and `cargo xtask schema --check` finds its published schemas
//! unchanged.)

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]
#![allow(
    dead_code,
    unreachable_pub,
    reason = "the types exist for their schemas"
)]

use schemars::{JsonSchema, SchemaGenerator};

/// The same types twice: once deriving schemars' `JsonSchema`, once `telemetry_core`'s.
macro_rules! types {
    ($derive:path) => {
        use telemetry_core::{Envelope, Hashed, TelemetryEvent};

        /// How a deployment ended.
        ///
        /// A second paragraph of docs.
        #[derive(serde::Serialize, $derive)]
        #[serde(rename_all = "kebab-case")]
        pub enum Outcome {
            /// It worked.
            Deployed,
            /// It was rolled back.
            #[serde(rename = "rollback")]
            RolledBack,
            /// It failed, with a code.
            Failed {
                /// The exit code.
                code: i32,
            },
        }

        /// A value under another name.
        #[derive(serde::Serialize, $derive)]
        #[serde(rename = "Renamed")]
        pub struct Original(pub u8);

        /// A wrapper of anything.
        #[derive(serde::Serialize, $derive)]
        pub struct Wrapper<T> {
            /// What it wraps.
            pub inner: T,
        }

        /// A deployment finished.
        #[derive(serde::Serialize, $derive, TelemetryEvent)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        #[telemetry(version = 3, example = finished)]
        pub struct DeployFinished {
            /// How it ended.
            #[telemetry(class = system_metadata, purpose = feature_insight)]
            pub outcome: Outcome,
            /// How long it took, in milliseconds.
            #[telemetry(class = system_metadata, purpose = performance_and_health)]
            #[schemars(range(max = 86_400_000))]
            pub duration_ms: u64,
            /// The environment, when one was named.
            #[telemetry(class = system_metadata, purpose = feature_insight)]
            #[serde(skip_serializing_if = "Option::is_none")]
            pub environment: Option<String>,
            /// The plugins used.
            #[telemetry(purpose = feature_insight)]
            pub plugins: Vec<Hashed<String>>,
            /// Something renamed, wrapped.
            #[telemetry(class = system_metadata, purpose = feature_insight)]
            pub wrapped: Wrapper<Original>,
        }

        fn finished() -> Envelope<DeployFinished> {
            Envelope::example(
                "acme deploy",
                DeployFinished {
                    outcome: Outcome::Deployed,
                    duration_ms: 4_200,
                    environment: None,
                    plugins: Vec::new(),
                    wrapped: Wrapper { inner: Original(1) },
                },
            )
        }
    };
}

mod by_schemars {
    types!(schemars::JsonSchema);
}

mod by_telemetry {
    types!(telemetry_core::JsonSchema);
}

/// The schema of `T` with its definitions, and its name and ID without the module.
fn schema<T: JsonSchema>() -> (serde_json::Value, String, String) {
    let schema = SchemaGenerator::default().into_root_schema_for::<T>();
    let id = T::schema_id()
        .replace("by_schemars::", "")
        .replace("by_telemetry::", "");
    (schema.to_value(), T::schema_name().into_owned(), id)
}

#[test]
fn the_schemas_are_the_ones_schemars_derives() {
    assert_eq!(
        schema::<by_telemetry::DeployFinished>(),
        schema::<by_schemars::DeployFinished>()
    );
    assert_eq!(
        schema::<by_telemetry::Outcome>(),
        schema::<by_schemars::Outcome>()
    );
    assert_eq!(
        schema::<by_telemetry::Original>(),
        schema::<by_schemars::Original>()
    );
    assert_eq!(
        schema::<by_telemetry::Wrapper<u8>>(),
        schema::<by_schemars::Wrapper<u8>>()
    );
    let (_, name, id) = schema::<by_telemetry::Original>();
    assert_eq!(
        (name.as_str(), id.as_str()),
        ("Renamed", "json_schema::Renamed")
    );
    let (value, name, _) = schema::<by_telemetry::DeployFinished>();
    assert_eq!(name, "DeployFinished");
    assert_eq!(value["properties"]["durationMs"]["maximum"], 86_400_000);
    assert_eq!(value["$defs"]["Outcome"]["oneOf"][1]["const"], "rollback");
}

#[test]
fn the_events_registry_reads_them_as_it_reads_schemars_derives() {
    use telemetry_core::TelemetryEvent as _;
    let config = telemetry_schema::Config::new("acme", "ACME");
    let version = |registration| {
        telemetry_schema::EventVersion::from_registration(registration, &config)
            .unwrap()
            .schema
    };
    let find = |path: &str| {
        telemetry_core::registry::iter()
            .find(|registration| registration.rust_path().ends_with(path))
            .unwrap()
    };
    assert_eq!(by_telemetry::DeployFinished::SCHEMA_VERSION, 3);
    assert_eq!(
        version(find("by_telemetry::DeployFinished")),
        version(find("by_schemars::DeployFinished"))
    );
}
