//! Where serialised events go: the [`Sink`] trait, the JSON Lines [`LogFile`], and [`Memory`]
//! for tests. Sinks run on the runtime's background thread, never on the host program's.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::Context;

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

/// The JSON Lines log file (`<PREFIX>_TELEMETRY_LOG_FILE`): every event's envelope exactly as it
/// is delivered, one per line, and diagnostic lines (with a `"diagnostic"` key) about problems.
///
/// Created with mode 0600 (readable by its owner only). Each line is written with one `write`
/// call under an exclusive lock, so lines of concurrent processes never interleave. Cloning
/// shares the file.
#[derive(Debug, Clone)]
pub struct LogFile {
    file: Arc<File>,
}

impl LogFile {
    /// Opens `path` for appending, creating it (mode 0600) if needed.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened or created.
    pub fn open(path: &Path) -> io::Result<Self> {
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        Ok(LogFile {
            file: Arc::new(options.open(path)?),
        })
    }

    /// Appends `line` and a newline, in one write, under an exclusive lock.
    ///
    /// # Errors
    ///
    /// When the file cannot be locked or written.
    pub fn write_line(&self, line: &[u8]) -> io::Result<()> {
        let mut buffer = Vec::with_capacity(line.len() + 1);
        buffer.extend_from_slice(line);
        buffer.push(b'\n');
        self.file.lock()?;
        let written = (&*self.file).write_all(&buffer);
        let unlocked = self.file.unlock();
        written.and(unlocked)
    }

    /// Appends a diagnostic line: `{"diagnostic":kind,"message":...,"ts":...,"executionID":...}`.
    ///
    /// # Errors
    ///
    /// As [`write_line`](Self::write_line).
    pub fn diagnostic(
        &self,
        kind: &str,
        message: &str,
        ts: u64,
        execution_id: &str,
    ) -> io::Result<()> {
        let line = serde_json::json!({
            "diagnostic": kind,
            "message": message,
            "ts": ts,
            "executionID": execution_id,
        });
        self.write_line(line.to_string().as_bytes())
    }
}

impl Sink for LogFile {
    fn deliver(&mut self, event: &EncodedEvent<'_>) -> Result<(), SinkError> {
        self.write_line(event.envelope_json.as_bytes())
            .map_err(|error| SinkError::new(format!("writing the log file: {error}")))
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
/// # #[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
/// # #[serde(rename_all = "camelCase")]
/// # #[telemetry(version = 1, example = exited)]
/// # pub struct CommandExited {
/// #     /// Its exit code.
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
