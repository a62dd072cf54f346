//! What the receiver has seen: spans received, stored, failed and ignored, in all and per event
//! version, and every request it refused, by status and reason, with what was lost with it.
//! `GET /status`, the summary printed on stop and the live check's report read them.

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
    /// Requests whose body is being read now (`GET /status` only).
    pub receiving: u64,
    /// Requests being decoded, checked and stored now, each holding one of the
    /// `--max-in-flight` slots (`GET /status` only).
    pub in_flight: u64,
    /// By event version, `<EventType>.v<N>` (`(none)` for spans without one).
    pub versions: BTreeMap<String, VersionCounts>,
    /// Requests refused, and what they carried: nothing of a refused request was stored, so
    /// its events are lost unless the sender sends them again.
    pub refused: Refused,
}

/// The requests a receiver refused.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refused {
    /// Requests refused, by `<status> <reason>`: `413 body_too_large`, `429 overloaded`, ...
    pub requests: BTreeMap<String, u64>,
    /// Spans of the program in refused requests whose body was decoded (a store that failed).
    pub lost_spans: u64,
    /// Refused requests whose body was never decoded: how many events each carried is unknown.
    pub lost_requests: u64,
}

impl Refused {
    /// How many requests were refused.
    pub fn total(&self) -> u64 {
        self.requests.values().sum()
    }

    /// Counts a request refused with `status` for `reason`, which lost `lost`.
    pub(crate) fn count(&mut self, status: u16, reason: &str, lost: Lost) {
        *self
            .requests
            .entry(format!("{status} {reason}"))
            .or_default() += 1;
        match lost {
            Lost::Request => self.lost_requests += 1,
            Lost::Spans(spans) => self.lost_spans += spans,
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reasons: Vec<String> = self
            .requests
            .iter()
            .map(|(reason, count)| format!("{reason}: {count}"))
            .collect();
        write!(
            f,
            "{} request(s) refused ({}); lost with them: {} event span(s) of decoded requests, {} \
             request(s) never decoded",
            self.total(),
            reasons.join(", "),
            self.lost_spans,
            self.lost_requests
        )
    }
}

/// What a refused request lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lost {
    /// The body was never decoded: a request of unknown content.
    Request,
    /// The body was decoded: this many spans of the program.
    Spans(u64),
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
        if self.refused.total() > 0 {
            writeln!(f, "{}", self.refused)?;
        }
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
