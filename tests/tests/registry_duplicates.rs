//! Two types claiming the same `(eventType, schemaVersion)` are reported, not silently accepted.
//! Its own test binary: the registry is global to a binary, and this one is broken on purpose.

use telemetry_core::registry::{self, Duplicate};
use telemetry_core::{Context, Envelope, TelemetryEvent};

/// Declares an event type named `$name` claiming `eventType` `Clash` at `$version`.
macro_rules! clashing_event {
    ($module:ident, $name:ident, $version:literal) => {
        mod $module {
            use super::{Context, Envelope, TelemetryEvent};

            /// An event claiming the `Clash` event type.
            #[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
            #[telemetry(version = $version, event_type = "Clash", example = example)]
            pub(crate) struct $name {
                /// A flag.
                pub(crate) flag: bool,
            }

            fn example() -> Envelope<$name> {
                Envelope::new(&Context::default(), 0, $name { flag: true })
            }
        }
    };
}

clashing_event!(first, Clash, 1);
clashing_event!(second, Impostor, 1);
clashing_event!(third, Clash, 2);

#[test]
fn duplicate_event_versions_are_reported_with_every_claimant() {
    let error = registry::events().expect_err("two types claim Clash v1");
    assert_eq!(
        error.duplicates(),
        [Duplicate {
            event_type: "Clash",
            schema_version: 1,
            rust_paths: vec![
                "registry_duplicates::first::Clash",
                "registry_duplicates::second::Impostor"
            ],
        }]
    );
    assert_eq!(
        error.to_string(),
        "event `Clash` v1 is defined by more than one type: `registry_duplicates::first::Clash`, \
         `registry_duplicates::second::Impostor`; give each a distinct `event_type` or `version`"
    );
    // Another version of the same event type is no duplicate.
    assert_eq!(third::Clash::SCHEMA_VERSION, 2);
    assert!(
        registry::iter().any(|event| event.event_type() == "Clash" && event.schema_version() == 2)
    );
}
