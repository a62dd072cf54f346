//! Every event type linked into the program, registered by `#[derive(TelemetryEvent)]`.
//!
//! Registration happens at link time (with the `inventory` crate), so tools list events without
//! a hand-kept list. A binary only sees events of crates it links: a tool that never names the
//! crate defining its events should write `use that_crate as _;`.
//!
//! ```
//! let events = telemetry_core::registry::events().expect("no duplicate events");
//! assert!(events.iter().any(|event| event.event_type() == "StageBuildFinished"));
//! ```

use std::collections::BTreeMap;
use std::fmt;

use schemars::Schema;
use schemars::generate::SchemaSettings;

use crate::{Envelope, TelemetryEvent};

/// One event type (one `eventType` at one `schemaVersion`), with what tools need of it.
pub struct EventRegistration {
    event_type: &'static str,
    schema_version: u32,
    unreleased: bool,
    rust_path: &'static str,
    envelope_schema: fn(SchemaSettings) -> Schema,
    example_payloads: fn() -> serde_json::Result<Vec<String>>,
}

inventory::collect!(EventRegistration);

impl EventRegistration {
    /// The registration of `E`; `rust_path` names the type in messages.
    #[doc(hidden)]
    pub const fn of<E: TelemetryEvent>(rust_path: &'static str) -> Self {
        EventRegistration {
            event_type: E::EVENT_TYPE,
            schema_version: E::SCHEMA_VERSION,
            unreleased: E::UNRELEASED,
            rust_path,
            envelope_schema: envelope_schema::<E>,
            example_payloads: example_payloads::<E>,
        }
    }

    /// The `eventType`.
    pub fn event_type(&self) -> &'static str {
        self.event_type
    }

    /// The `schemaVersion`.
    pub fn schema_version(&self) -> u32 {
        self.schema_version
    }

    /// Whether the version is still being designed; see [`TelemetryEvent::UNRELEASED`].
    pub fn unreleased(&self) -> bool {
        self.unreleased
    }

    /// The Rust type, as `module::path::Name`.
    pub fn rust_path(&self) -> &'static str {
        self.rust_path
    }

    /// The JSON Schema of the whole envelope carrying this event, generated with `settings`.
    pub fn envelope_schema(&self, settings: SchemaSettings) -> Schema {
        (self.envelope_schema)(settings)
    }

    /// The documented example envelopes, serialised as pretty JSON (keys in wire order).
    ///
    /// # Errors
    ///
    /// When an example does not serialise to JSON (a map with non-string keys, say).
    pub fn example_payloads(&self) -> serde_json::Result<Vec<String>> {
        (self.example_payloads)()
    }
}

impl fmt::Debug for EventRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventRegistration")
            .field("event_type", &self.event_type)
            .field("schema_version", &self.schema_version)
            .field("unreleased", &self.unreleased)
            .field("rust_path", &self.rust_path)
            .finish_non_exhaustive()
    }
}

fn envelope_schema<E: TelemetryEvent>(settings: SchemaSettings) -> Schema {
    settings
        .into_generator()
        .into_root_schema_for::<Envelope<E>>()
}

fn example_payloads<E: TelemetryEvent>() -> serde_json::Result<Vec<String>> {
    E::examples()
        .iter()
        .map(serde_json::to_string_pretty)
        .collect()
}

/// Every registered event, in no particular order, duplicates included.
pub fn iter() -> impl Iterator<Item = &'static EventRegistration> {
    inventory::iter::<EventRegistration>.into_iter()
}

/// Every registered event, sorted by `eventType` then `schemaVersion`.
///
/// # Errors
///
/// When two types claim the same `eventType` at the same `schemaVersion`: consumers could not
/// tell their payloads apart.
pub fn events() -> Result<Vec<&'static EventRegistration>, DuplicateEvents> {
    sorted_unique(iter())
}

/// Sorts registrations and rejects duplicate `(eventType, schemaVersion)` pairs.
fn sorted_unique(
    registrations: impl IntoIterator<Item = &'static EventRegistration>,
) -> Result<Vec<&'static EventRegistration>, DuplicateEvents> {
    let mut by_key: BTreeMap<(&str, u32), Vec<&'static EventRegistration>> = BTreeMap::new();
    for registration in registrations {
        by_key
            .entry((registration.event_type, registration.schema_version))
            .or_default()
            .push(registration);
    }
    let mut duplicates = Vec::new();
    let mut unique = Vec::with_capacity(by_key.len());
    for ((event_type, schema_version), mut claimants) in by_key {
        if claimants.len() == 1 {
            unique.extend(claimants);
        } else {
            let mut rust_paths: Vec<_> = claimants.drain(..).map(|r| r.rust_path).collect();
            rust_paths.sort_unstable();
            duplicates.push(Duplicate {
                event_type,
                schema_version,
                rust_paths,
            });
        }
    }
    if duplicates.is_empty() {
        Ok(unique)
    } else {
        Err(DuplicateEvents { duplicates })
    }
}

/// Two or more types claim the same `(eventType, schemaVersion)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateEvents {
    duplicates: Vec<Duplicate>,
}

/// One `(eventType, schemaVersion)` pair and the types that claim it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The `eventType`.
    pub event_type: &'static str,
    /// The `schemaVersion`.
    pub schema_version: u32,
    /// The Rust types that claim it, sorted.
    pub rust_paths: Vec<&'static str>,
}

impl DuplicateEvents {
    /// Each duplicated pair, sorted by `eventType` then `schemaVersion`.
    pub fn duplicates(&self) -> &[Duplicate] {
        &self.duplicates
    }
}

impl fmt::Display for DuplicateEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, duplicate) in self.duplicates.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(
                f,
                "event `{}` v{} is defined by more than one type: {}",
                duplicate.event_type,
                duplicate.schema_version,
                duplicate
                    .rust_paths
                    .iter()
                    .map(|path| format!("`{path}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        f.write_str("; give each a distinct `event_type` or `version`")
    }
}

impl std::error::Error for DuplicateEvents {}
