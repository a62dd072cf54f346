//! What the receiver has seen: spans received, stored, failed and ignored, in all and per event
//! version. `GET /status`, the summary printed on stop and the live check's report read them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

/// The counts of one event version.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VersionCounts {
    /// Spans of the program carrying this version.
    pub received: u64,
    /// Of those, stored as valid events.
    pub stored: u64,
    /// Of those, kept as failures.
    pub failed: u64,
}

/// Every count.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Spans of the program received.
    pub received: u64,
    /// Of those, stored as valid events.
    pub stored: u64,
    /// Of those, kept as failures.
    pub failed: u64,
    /// Spans of other names, counted and left alone.
    pub ignored: u64,
    /// Request bodies that were not OTLP.
    pub undecodable: u64,
    /// Requests being handled now (`GET /status` only).
    pub in_flight: u64,
    /// By event version, `<EventType>.v<N>` (`(none)` for spans without one).
    pub versions: BTreeMap<String, VersionCounts>,
}

impl Counts {
    /// Counts `count` spans stored as the event version `key`.
    pub(crate) fn stored(&mut self, key: String, count: u64) {
        self.received += count;
        self.stored += count;
        let version = self.versions.entry(key).or_default();
        version.received += count;
        version.stored += count;
    }

    /// Counts `count` spans of the event version `key` kept as failures.
    pub(crate) fn failed(&mut self, key: String, count: u64) {
        self.received += count;
        self.failed += count;
        let version = self.versions.entry(key).or_default();
        version.received += count;
        version.failed += count;
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "received {} event(s): {} stored, {} failed; {} other span(s) ignored; {} undecodable \
             request(s)",
            self.received, self.stored, self.failed, self.ignored, self.undecodable
        )?;
        for (version, counts) in &self.versions {
            writeln!(
                f,
                "  {version}: received {}, stored {}, failed {}",
                counts.received, counts.stored, counts.failed
            )?;
        }
        Ok(())
    }
}

/// `<EventType>.v<N>`, as counts and reports name versions; `(none)` for a span without an
/// `eventType`.
pub(crate) fn version_key(event_type: &str, schema_version: i64) -> String {
    if event_type.is_empty() {
        "(none)".to_owned()
    } else {
        format!("{event_type}.v{schema_version}")
    }
}

/// Counts shared by the requests that update them.
#[derive(Debug, Default)]
pub(crate) struct SharedCounts(Mutex<Counts>);

impl SharedCounts {
    /// Updates the counts.
    pub(crate) fn update(&self, change: impl FnOnce(&mut Counts)) {
        change(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// The counts now.
    pub(crate) fn snapshot(&self) -> Counts {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
