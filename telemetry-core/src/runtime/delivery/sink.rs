//! Where serialised events go besides the log file and the transport: the [`Sink`] trait, and
//! [`Memory`] for tests. Sinks run on the runtime's background thread, never on the host
//! program's.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::model::context::Context;

/// One serialised event, as sinks receive it.
#[derive(Debug, Clone, Copy)]
pub struct EncodedEvent<'a> {
    /// `ts`: milliseconds since the Unix epoch.
    pub ts: u64,
    /// `eventType`.
    pub event_type: &'static str,
    /// `schemaVersion`.
    pub schema_version: u32,
    /// The run's context.
    pub context: &'a Context,
    /// `attributes`, serialised.
    pub attributes_json: &'a str,
    /// `eventData`, serialised.
    pub event_data_json: &'a str,
    /// The whole envelope, serialised: what the log file records and the schemas describe.
    pub envelope_json: &'a str,
}

/// Why a sink could not deliver; recorded as a diagnostic in the log file, never shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkError {
    /// What went wrong, in words.
    pub message: String,
}

impl SinkError {
    /// An error saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        SinkError {
            message: message.into(),
        }
    }
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SinkError {}

/// A destination for events. Calls come from the runtime's background thread, in order.
pub trait Sink: Send {
    /// Takes one event. Should be quick: a sink that talks to the network hands the event to
    /// its own sender.
    ///
    /// # Errors
    ///
    /// When the event cannot be delivered; the runtime records a diagnostic.
    fn deliver(&mut self, event: &EncodedEvent<'_>) -> Result<(), SinkError>;

    /// Called when no event has arrived for a moment: a batching sink sends its batch.
    ///
    /// # Errors
    ///
    /// As [`deliver`](Self::deliver).
    fn idle(&mut self) -> Result<(), SinkError> {
        Ok(())
    }

    /// Delivers whatever is pending, giving up at `deadline`; called once, at shutdown.
    ///
    /// # Errors
    ///
    /// As [`deliver`](Self::deliver).
    fn flush(&mut self, deadline: Instant) -> Result<(), SinkError> {
        let _ = deadline;
        Ok(())
    }
}

/// Keeps every envelope in memory: for tests of a program's instrumentation. Clones share the
/// events.
///
/// ```
/// use telemetry_core::sink::Memory;
/// use telemetry_core::{Settings, Telemetry};
/// # use telemetry_core::{Envelope, TelemetryEvent};
/// # /// The command exited.
/// # #[derive(serde::Serialize, telemetry_core::JsonSchema, TelemetryEvent)]
/// # #[serde(rename_all = "camelCase")]
/// # #[telemetry(version = 1, example = exited)]
/// # pub struct CommandExited {
/// #     /// Its exit code.
/// #     #[telemetry(class = system_metadata, purpose = feature_insight)]
/// #     pub exit_code: i32,
/// # }
/// # fn exited() -> Envelope<CommandExited> {
/// #     Envelope::example("mytool build", CommandExited { exit_code: 0 })
/// # }
///
/// let memory = Memory::default();
/// let telemetry = Telemetry::builder(Settings::new("MYTOOL", "mytool", "1.0"))
///     .vars(Vec::new())
///     .sink(memory.clone())
///     .build();
/// telemetry.emit(CommandExited { exit_code: 0 });
/// telemetry.shutdown();
/// assert_eq!(memory.envelopes().len(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Memory {
    envelopes: Arc<Mutex<Vec<String>>>,
}

impl Memory {
    /// Every envelope delivered so far, serialised.
    pub fn envelopes(&self) -> Vec<String> {
        self.envelopes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Sink for Memory {
    fn deliver(&mut self, event: &EncodedEvent<'_>) -> Result<(), SinkError> {
        self.envelopes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event.envelope_json.to_owned());
        Ok(())
    }
}
