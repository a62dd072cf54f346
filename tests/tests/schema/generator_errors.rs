//! The generator refuses events whose documentation would be wrong: an example that does not
//! match its own schema, an example that is not the same on every run, or two different types
//! under one definition name. Its own test binary:
//! the events here are broken on purpose.

use telemetry_core::registry;
use telemetry_core::werf::examples::build_on_a_mac;
use telemetry_core::{Context, Envelope, TelemetryEvent};
use telemetry_schema::{Error, EventVersion};

/// An event whose example has no execution ID.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = careless)]
struct Careless {
    /// A count.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    count: u32,
}

fn careless() -> Envelope<Careless> {
    Envelope::new(&Context::default(), 1, Careless { count: 1 })
}

mod old {
    /// An image, the old way.
    #[derive(serde::Serialize, schemars::JsonSchema)]
    pub(crate) struct Image {
        /// Its name.
        pub(crate) name: String,
    }
}

mod new {
    /// An image, the new way.
    #[derive(serde::Serialize, schemars::JsonSchema)]
    pub(crate) struct Image {
        /// Its size.
        pub(crate) bytes: u64,
    }
}

/// An event with two different types named `Image`.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = ambiguous)]
struct Ambiguous {
    /// Before.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    before: old::Image,
    /// After.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    after: new::Image,
}

fn ambiguous() -> Envelope<Ambiguous> {
    Envelope::new(
        &build_on_a_mac(),
        1,
        Ambiguous {
            before: old::Image { name: "app".into() },
            after: new::Image { bytes: 1 },
        },
    )
}

/// An event whose example is a `HashMap`: its keys come out in another order every time.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = shuffled)]
struct Shuffled {
    /// Counts by name.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    counts: std::collections::HashMap<String, u32>,
}

fn shuffled() -> Envelope<Shuffled> {
    let counts = ["alpha", "beta", "gamma", "delta", "epsilon"]
        .into_iter()
        .zip(1..)
        .map(|(name, count)| (name.to_owned(), count))
        .collect();
    Envelope::example("shuffle", Shuffled { counts })
}

/// An event whose example holds a fresh random value.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = random)]
struct Random {
    /// A run identifier.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    run: String,
}

fn random() -> Envelope<Random> {
    Envelope::example(
        "random",
        Random {
            run: telemetry_core::detect::execution_id(),
        },
    )
}

#[test]
fn an_example_that_changes_between_renderings_is_refused_with_the_cure() {
    for (event_type, rust_path) in [
        ("Shuffled", "generator_errors::Shuffled"),
        ("Random", "generator_errors::Random"),
    ] {
        let error = EventVersion::from_registration(
            registration(event_type),
            &telemetry_tests::werf_config(),
        )
        .expect_err("refused");
        assert_eq!(
            error.to_string(),
            format!(
                "{event_type} v1 (`{rust_path}`): example 1 gives different bytes each time it is \
                 rendered, so its files would change on every run; use a `BTreeMap` instead of a \
                 `HashMap`, and fixed values instead of random or current ones \
                 (`Envelope::example` gives a fixed context)"
            )
        );
    }
}

fn registration(event_type: &str) -> &'static registry::EventRegistration {
    registry::iter()
        .find(|event| event.event_type() == event_type)
        .expect("registered")
}

#[test]
fn an_example_that_does_not_match_its_schema_is_refused() {
    let error =
        EventVersion::from_registration(registration("Careless"), &telemetry_tests::werf_config())
            .expect_err("refused");
    assert!(
        matches!(error, Error::InvalidExample { index: 1, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(
            "example 1 of Careless v1 (`generator_errors::Careless`) does not match the event's schema:"
        ),
        "{message}"
    );
    assert!(message.contains("at `/executionID`"), "{message}");
}

#[test]
fn two_types_with_one_definition_name_are_refused() {
    let error =
        EventVersion::from_registration(registration("Ambiguous"), &telemetry_tests::werf_config())
            .expect_err("refused");
    assert_eq!(
        error.to_string(),
        "the schema of Ambiguous v1 (`generator_errors::Ambiguous`) has different types with the \
         same name: `Image` and `Image2`; give one of each pair an explicit name with \
         #[schemars(rename = \"...\")]"
    );
}

#[test]
fn generating_everything_fails_on_either() {
    assert!(EventVersion::registered(&telemetry_tests::werf_config()).is_err());
}
