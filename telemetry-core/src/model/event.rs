//! The [`TelemetryEvent`] trait, what makes a struct an event, and the [`Envelope`] that
//! carries one event with its timestamp and run context. How the envelope goes over the wire is
//! [`envelope`](super::envelope)'s.

use serde::Serialize;

use super::classify::Field;
use super::context::Context;

/// A schema-versioned telemetry event: the struct is the envelope's `eventData`.
///
/// Implement it with `#[derive(TelemetryEvent)]`, which also registers the event (see
/// [`registry`](crate::registry)) so that tools find every event without a hand-kept list:
///
/// ```
/// use telemetry_core::{Envelope, TelemetryEvent};
///
/// /// A deployment was rolled back.
/// #[derive(serde::Serialize, telemetry_core::JsonSchema, TelemetryEvent)]
/// #[serde(rename_all = "camelCase")]
/// #[telemetry(version = 3, event_type = "Rollback", example = rolled_back)]
/// pub struct RolledBack {
///     /// How many releases were rolled back.
///     #[telemetry(class = system_metadata, purpose = feature_insight)]
///     pub releases: u32,
/// }
///
/// fn rolled_back() -> Envelope<RolledBack> {
///     Envelope::example("acme rollback", RolledBack { releases: 1 })
/// }
///
/// assert_eq!(RolledBack::EVENT_TYPE, "Rollback");
/// assert_eq!(RolledBack::SCHEMA_VERSION, 3);
/// assert_eq!(RolledBack::examples().len(), 1);
/// assert_eq!(RolledBack::FIELDS[0].key, Some("releases"));
/// ```
///
/// Keys of `#[telemetry(...)]` on the struct:
///
/// | key | meaning |
/// |---|---|
/// | `version = N` | required; the [`SCHEMA_VERSION`](Self::SCHEMA_VERSION), from 1 |
/// | `example = path` | required, repeatable; a function returning `Envelope<Self>` |
/// | `event_type = "Name"` | the [`EVENT_TYPE`](Self::EVENT_TYPE), `PascalCase`; default: the struct's name |
/// | `unreleased` | the version is still being designed (see [`UNRELEASED`](Self::UNRELEASED)) |
///
/// and on every field serde sends, both required ([`FIELDS`](Self::FIELDS)):
///
/// | key | meaning |
/// |---|---|
/// | `class = ...` | what the field holds, a [`DataClass`](crate::classify::DataClass): `system_metadata`, `call_stack_or_exception`, `customer_content`, `end_user_pseudonymized`, `public_personal` or `public_non_personal`; it covers the field's whole subtree, and may be left out on a [`Hashed`](crate::Hashed) field |
/// | `purpose = ...` | why it is collected, a [`Purpose`](crate::classify::Purpose): `feature_insight`, `performance_and_health`, `business_insight` or `security_and_auditing` |
///
/// The derive accepts structs with named fields and no generic parameters, each documented with
/// a doc comment (the docs become the schema's descriptions). The struct must also derive
/// `serde::Serialize` and [`JsonSchema`](macro@crate::JsonSchema) (or schemars' own
/// `JsonSchema`, which a program then builds even when it only sends events).
pub trait TelemetryEvent: Serialize + EventSchema + Sized + 'static {
    /// The envelope's `eventType`.
    const EVENT_TYPE: &'static str;

    /// The envelope's `schemaVersion`: which shape of this event's payload the struct produces.
    const SCHEMA_VERSION: u32;

    /// Whether this version is still being designed: its published schema may still change.
    /// Removing the marker publishes the version, after which its schema never changes.
    const UNRELEASED: bool = false;

    /// The functions that build the documented example payloads (`example = path` of the
    /// derive), as shown in the generated docs and example files. Function pointers rather than
    /// a function returning a `Vec`, so that the derive generates no code for them.
    const EXAMPLES: &'static [fn() -> Envelope<Self>];

    /// The classification of every field serde sends (`#[telemetry(class = ..., purpose = ...)]`
    /// on the fields), in field order.
    const FIELDS: &'static [Field];

    /// The documented example payloads, built.
    fn examples() -> Vec<Envelope<Self>> {
        Self::EXAMPLES.iter().map(|example| example()).collect()
    }
}

/// `schemars::JsonSchema` with the `schema` feature, which every event implements there;
/// without it, nothing, so that events need no schema code in a program that only sends them.
#[cfg(feature = "schema")]
pub trait EventSchema: schemars::JsonSchema {}

#[cfg(feature = "schema")]
impl<T: schemars::JsonSchema + ?Sized> EventSchema for T {}

/// `schemars::JsonSchema` with the `schema` feature; without it, nothing.
#[cfg(not(feature = "schema"))]
pub trait EventSchema {}

#[cfg(not(feature = "schema"))]
impl<T: ?Sized> EventSchema for T {}

/// One event with its timestamp and the run's [`Context`]: the JSON document a consumer
/// receives.
///
/// Serialising gives the keys in the order `ts, executionID, userID, projectID, command,
/// attributes, eventType, eventData, schemaVersion`:
///
/// ```
/// # use telemetry_core::{Envelope, TelemetryEvent};
/// /// Something happened.
/// #[derive(serde::Serialize, telemetry_core::JsonSchema, TelemetryEvent)]
/// #[telemetry(version = 1, example = example)]
/// pub struct Happened {
///     /// How often.
///     #[telemetry(class = system_metadata, purpose = feature_insight)]
///     pub times: u8,
/// }
/// fn example() -> Envelope<Happened> {
///     Envelope::example("mytool run", Happened { times: 2 })
/// }
///
/// let json = serde_json::to_string(&example()).unwrap();
/// assert_eq!(
///     json,
///     r#"{"ts":1700000000000,"executionID":"2f75d020-684e-4224-9013-35e95e1b7721","#.to_owned()
///         + r#""userID":"","projectID":"","command":"mytool run","#
///         + r#""attributes":{"arch":"amd64","os":"linux","version":"1.0.0","ci":false,"extra":{}},"#
///         + r#""eventType":"Happened","eventData":{"times":2},"schemaVersion":1}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<E> {
    /// `ts`: milliseconds since the Unix epoch, taken when the event was emitted.
    pub ts: u64,
    /// Everything the run's events share.
    pub context: Context,
    /// `eventData`: the event itself.
    pub event: E,
}

impl<E: TelemetryEvent> Envelope<E> {
    /// The `ts` of [`example`](Self::example): 2023-11-14T22:13:20Z.
    pub const EXAMPLE_TS: u64 = 1_700_000_000_000;

    /// Wraps `event`, emitted at `ts_ms` (milliseconds since the Unix epoch), in `context`.
    pub fn new(context: &Context, ts_ms: u64, event: E) -> Self {
        Envelope {
            ts: ts_ms,
            context: context.clone(),
            event,
        }
    }

    /// A documented example of `event`: emitted by `command` in [`Context::example`] at
    /// [`EXAMPLE_TS`](Self::EXAMPLE_TS). Every value is fixed and valid, so the example renders
    /// the same every time and passes the generator's checks; the one line an `example = path`
    /// function needs.
    ///
    /// ```
    /// # use telemetry_core::{Envelope, TelemetryEvent};
    /// /// A deployment finished.
    /// #[derive(serde::Serialize, telemetry_core::JsonSchema, TelemetryEvent)]
    /// #[telemetry(version = 1, example = deployed)]
    /// pub struct Deployed {
    ///     /// Whether it worked.
    ///     #[telemetry(class = system_metadata, purpose = feature_insight)]
    ///     pub success: bool,
    /// }
    ///
    /// fn deployed() -> Envelope<Deployed> {
    ///     Envelope::example("acme deploy", Deployed { success: true })
    /// }
    /// # assert_eq!(deployed().context.command, "acme deploy");
    /// ```
    pub fn example(command: &str, event: E) -> Self {
        Envelope {
            ts: Self::EXAMPLE_TS,
            context: Context::example(command),
            event,
        }
    }
}
