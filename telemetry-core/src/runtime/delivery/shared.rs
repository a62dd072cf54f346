//! What the host program's thread and the background threads share: the messages of the queue
//! between them, an event waiting to be serialised (its type erased), and the state both sides
//! read ([`Shared`]).

use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::model::encode::{EncodeError, EnvelopeEncoder};
use crate::model::event::TelemetryEvent;
use crate::runtime::decision::decide::Status;

/// What the host program's threads and the background threads share.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Events dropped because the queue was full, not yet reported.
    pub(crate) dropped: AtomicU64,
    /// Set by shutdown: when the background threads must be done.
    pub(crate) deadline: Mutex<Option<Instant>>,
    /// Set by the background thread after a remembered `disable`: events are ignored.
    pub(crate) silenced: AtomicBool,
    /// The first-run notice, when it is due in this run: set by the background thread before it
    /// decides, taken by the host program.
    pub(crate) notice: Mutex<Option<DueNotice>>,
    /// Whether telemetry is on and what decided, the remembered choice applied: set by the
    /// background thread once it has read the choice.
    decided: OnceLock<Status>,
    /// Whether `decided` is set, for those waiting for it.
    decided_signal: (Mutex<bool>, Condvar),
}

/// The first-run notice, due in this run.
#[derive(Debug)]
pub(crate) struct DueNotice {
    /// What it says.
    pub(crate) text: String,
    /// Its version, and where to record that it was shown once the host program has its text
    /// (`None` once recorded, or when there is nowhere to).
    pub(crate) record: Option<(u32, PathBuf)>,
}

impl Shared {
    /// Records what the background thread decided, and wakes those waiting for it.
    pub(crate) fn decide(&self, status: Status) {
        let _ = self.decided.set(status);
        let (set, signal) = &self.decided_signal;
        *set.lock().unwrap_or_else(PoisonError::into_inner) = true;
        signal.notify_all();
    }

    /// What the background thread decided, waiting for it at most `patience`; `None` when it
    /// has not decided by then.
    pub(crate) fn decision(&self, patience: Duration) -> Option<&Status> {
        if let Some(status) = self.decided.get() {
            return Some(status);
        }
        let (set, signal) = &self.decided_signal;
        let guard = set.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = signal
            .wait_timeout_while(guard, patience, |set| !*set)
            .unwrap_or_else(PoisonError::into_inner);
        self.decided.get()
    }

    /// The shutdown deadline, once shutdown has begun.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        *self.deadline.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the host program's thread hands the background thread.
pub(crate) enum Message {
    /// An event and when it was emitted, in milliseconds since the Unix epoch.
    Event(u64, Box<dyn Pending>),
    /// Wakes the background thread to notice a shutdown.
    Wake,
}

/// An event waiting to be serialised, its type erased.
pub(crate) trait Pending: Send {
    /// Serialises the envelope of the event, emitted at `ts`, into `out`; returns where its
    /// `eventData` is.
    fn encode(
        &self,
        encoder: &EnvelopeEncoder,
        ts: u64,
        out: &mut Vec<u8>,
    ) -> Result<Range<usize>, EncodeError>;
    /// The event's `eventType`.
    fn event_type(&self) -> &'static str;
    /// The event's `schemaVersion`.
    fn schema_version(&self) -> u32;
}

impl<E: TelemetryEvent + Send> Pending for E {
    fn encode(
        &self,
        encoder: &EnvelopeEncoder,
        ts: u64,
        out: &mut Vec<u8>,
    ) -> Result<Range<usize>, EncodeError> {
        encoder.encode_checked(ts, self, out)
    }

    fn event_type(&self) -> &'static str {
        E::EVENT_TYPE
    }

    fn schema_version(&self) -> u32 {
        E::SCHEMA_VERSION
    }
}
