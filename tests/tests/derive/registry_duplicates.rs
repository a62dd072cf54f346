//! Two types claiming one `eventType`, in any versions, are reported, not silently merged into
//! one history. Its own test binary: the registry is global to a binary, and this one is broken
//! on purpose.

use telemetry_core::registry::{self, Duplicate};
use telemetry_core::{Envelope, TelemetryEvent};

/// Declares an event type named `$name` claiming `eventType` `Clash` at `$version`.
macro_rules! clashing_event {
    ($module:ident, $name:ident, $version:literal) => {
        mod $module {
            use super::{Envelope, TelemetryEvent};

            /// An event claiming the `Clash` event type.
            #[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
            #[telemetry(version = $version, event_type = "Clash", example = example)]
            pub(crate) struct $name {
                /// A flag.
                #[telemetry(class = system_metadata, purpose = feature_insight)]
                pub(crate) flag: bool,
            }

            fn example() -> Envelope<$name> {
                Envelope::example("clash", $name { flag: true })
            }
        }
    };
}

clashing_event!(first, Clash, 3);
clashing_event!(second, Impostor, 3);
clashing_event!(elsewhere, PluginLoaded, 4);

/// One type, one event type: no clash.
mod alone {
    use super::{Envelope, TelemetryEvent};

    /// A lone event.
    #[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
    #[telemetry(version = 1, example = example)]
    pub(crate) struct Alone {
        /// A flag.
        #[telemetry(class = system_metadata, purpose = feature_insight)]
        pub(crate) flag: bool,
    }

    fn example() -> Envelope<Alone> {
        Envelope::example("alone", Alone { flag: true })
    }
}

#[test]
fn an_event_type_claimed_by_several_types_in_any_versions_is_reported_with_every_claimant() {
    let error = registry::events().expect_err("three types claim Clash");
    assert_eq!(
        error.duplicates(),
        [Duplicate {
            event_type: "Clash",
            claimants: vec![
                ("registry_duplicates::elsewhere::PluginLoaded", 4),
                ("registry_duplicates::first::Clash", 3),
                ("registry_duplicates::second::Impostor", 3),
            ],
        }]
    );
    assert_eq!(
        error.to_string(),
        "event `Clash` is defined by more than one type: \
         `registry_duplicates::elsewhere::PluginLoaded` (v4), `registry_duplicates::first::Clash` \
         (v3), `registry_duplicates::second::Impostor` (v3); an event type belongs to one Rust \
         type, which defines its newest version (older versions live on in the published files): \
         give the others an `event_type` of their own"
    );
    assert!(registry::iter().any(|event| event.event_type() == "Alone"));
    assert_eq!(alone::Alone::SCHEMA_VERSION, 1);
}
