//! The [`TelemetryEvent`] trait: what makes a struct an event.

use schemars::JsonSchema;
use serde::Serialize;

use crate::Envelope;

/// A schema-versioned telemetry event: the struct is the envelope's `eventData`.
///
/// Implement it with `#[derive(TelemetryEvent)]`, which also registers the event (see
/// [`registry`](crate::registry)) so that tools find every event without a hand-kept list:
///
/// ```
/// use telemetry_core::{Envelope, TelemetryEvent};
///
/// /// A deployment was rolled back.
/// #[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
/// #[serde(rename_all = "camelCase")]
/// #[telemetry(version = 3, event_type = "Rollback", example = rolled_back)]
/// pub struct RolledBack {
///     /// How many releases were rolled back.
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
/// ```
///
/// Keys of `#[telemetry(...)]`:
///
/// | key | meaning |
/// |---|---|
/// | `version = N` | required; the [`SCHEMA_VERSION`](Self::SCHEMA_VERSION), from 1 |
/// | `example = path` | required, repeatable; a function returning `Envelope<Self>` |
/// | `event_type = "Name"` | the [`EVENT_TYPE`](Self::EVENT_TYPE), `PascalCase`; default: the struct's name |
/// | `unreleased` | the version is still being designed (see [`UNRELEASED`](Self::UNRELEASED)) |
///
/// The derive accepts structs with named fields and no generic parameters, each documented with
/// a doc comment (the docs become the schema's descriptions). The struct must also derive
/// `serde::Serialize` and `schemars::JsonSchema`.
pub trait TelemetryEvent: Serialize + JsonSchema + Sized + 'static {
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

    /// The documented example payloads, built.
    fn examples() -> Vec<Envelope<Self>> {
        Self::EXAMPLES.iter().map(|example| example()).collect()
    }
}
