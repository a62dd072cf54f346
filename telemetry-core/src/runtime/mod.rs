//! The runtime a host program links: [`Telemetry`] reads the environment once, then hands each
//! event to a background thread that serialises it and gives it to the sinks (the log file, the
//! transport). The host program's thread never waits beyond a bounded queue, and at exit never
//! waits beyond the shutdown deadline.

pub mod detect;
pub mod environment;
pub mod otlp;
pub mod project_id;
pub(crate) mod settings;
pub mod sink;

use std::ffi::OsString;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use self::otlp::{OtlpConfig, OtlpSink};
use self::settings::{Environment, Settings, Status};
use self::sink::{EncodedEvent, LogFile, Sink, SinkError};
use crate::{Attributes, Context, EnvelopeEncoder, TelemetryEvent};

/// How long the background thread waits for more events before a batching sink sends.
const IDLE: Duration = Duration::from_millis(5);

/// What shutdown leaves of its budget for what follows it: the wake-up after the deadline, and
/// the threads and sockets it abandons being torn down with the process. Measured at about 1 ms.
const EXIT_MARGIN: Duration = Duration::from_millis(2);

/// How long one OTLP request may take while the program runs (werf gives each export 1.3 s).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// The telemetry of one run of a host program.
///
/// ```
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
/// let settings = Settings { command: "mytool build".into(), ..Settings::new("MYTOOL", "mytool", "1.2.0") };
/// // `from_env` reads the process environment; this example pins it.
/// let telemetry = Telemetry::builder(settings).vars([("MYTOOL_TELEMETRY".into(), "0".into())]).build();
/// assert_eq!(telemetry.status().to_string(), "telemetry is off: MYTOOL_TELEMETRY=0");
/// telemetry.emit(CommandExited { exit_code: 0 }); // a no-op when off
/// telemetry.shutdown(); // also on drop
/// ```
///
/// Disabled, it is a null object: nothing is computed, no file is opened, no thread is
/// started. Enabled, [`emit`](Self::emit) timestamps the event and queues it; a background
/// thread serialises it and delivers it to the log file (`<PREFIX>_TELEMETRY_LOG_FILE`) and the
/// other sinks. Problems never reach the terminal: they become diagnostic lines in the log file.
#[derive(Debug)]
pub struct Telemetry {
    status: Status,
    active: Option<Active>,
}

/// The state of enabled telemetry.
#[derive(Debug)]
struct Active {
    context: Context,
    queue: SyncSender<Message>,
    /// Whether events are still accepted: cleared by the first shutdown.
    open: AtomicBool,
    shared: Arc<Shared>,
    /// Signalled by the background thread when it is done; taken by the first shutdown.
    done: Mutex<Option<Receiver<()>>>,
    /// What shutdown may still take: the shutdown timeout less what starting cost the host.
    shutdown_budget: Duration,
}

/// What the host program's threads and the background thread share.
#[derive(Debug, Default)]
struct Shared {
    /// Events dropped because the queue was full, not yet reported.
    dropped: AtomicU64,
    /// Set by shutdown: when the background thread must be done.
    deadline: Mutex<Option<Instant>>,
}

enum Message {
    Event(u64, Box<dyn Pending>),
    /// Wakes the background thread to notice a shutdown.
    Wake,
}

/// An event waiting to be serialised, its type erased.
trait Pending: Send {
    fn encode(
        &self,
        encoder: &EnvelopeEncoder,
        ts: u64,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<Range<usize>>;
    fn event_type(&self) -> &'static str;
    fn schema_version(&self) -> u32;
}

impl<E: TelemetryEvent + Send> Pending for E {
    fn encode(
        &self,
        encoder: &EnvelopeEncoder,
        ts: u64,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<Range<usize>> {
        encoder.encode(ts, self, out)
    }

    fn event_type(&self) -> &'static str {
        E::EVENT_TYPE
    }

    fn schema_version(&self) -> u32 {
        E::SCHEMA_VERSION
    }
}

/// Builds a [`Telemetry`]: where the environment comes from, and extra sinks.
#[must_use = "call `build()` to start telemetry"]
pub struct TelemetryBuilder {
    settings: Settings,
    vars: Option<Vec<(OsString, OsString)>>,
    sinks: Vec<Box<dyn Sink>>,
}

impl std::fmt::Debug for TelemetryBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryBuilder")
            .field("settings", &self.settings)
            .field("vars", &self.vars.as_ref().map(Vec::len))
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

impl TelemetryBuilder {
    /// Reads these variables instead of the process environment (for tests, or a host program
    /// that filters its environment).
    pub fn vars(mut self, vars: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        self.vars = Some(vars.into_iter().collect());
        self
    }

    /// Delivers events to `sink` too.
    pub fn sink(mut self, sink: impl Sink + 'static) -> Self {
        self.sinks.push(Box::new(sink));
        self
    }

    /// Decides whether telemetry is on and, when it is, detects the context and starts the
    /// background thread.
    pub fn build(self) -> Telemetry {
        let started = Instant::now();
        let TelemetryBuilder {
            settings,
            vars,
            sinks,
        } = self;
        let env = Environment::new(vars.unwrap_or_else(|| std::env::vars_os().collect()));
        let status = settings::status(&settings, &env);
        if !status.enabled {
            return Telemetry {
                status,
                active: None,
            };
        }
        let mut config = settings::read(&settings, &env);
        let context = detect_context(&settings, &mut config);
        let otlp = config.endpoint.take().map(|endpoint| OtlpConfig {
            proxy: otlp::proxy_for(&endpoint, |name| env.get(name)),
            endpoint,
            service_name: settings.tool_name.clone(),
            span_name: settings.span_name.clone(),
            request_timeout: REQUEST_TIMEOUT,
        });
        let (queue, inbox) = mpsc::sync_channel(settings.queue_capacity.max(1));
        let (done_signal, done) = mpsc::channel();
        let shared = Arc::new(Shared::default());
        let worker = Worker {
            inbox,
            shared: Arc::clone(&shared),
            encoder: EnvelopeEncoder::new(&context),
            context: context.clone(),
            log_file_path: config.log_file.take(),
            otlp,
            log: None,
            sinks: Vec::new(),
            pending: false,
            buffer: Vec::with_capacity(1024),
            warnings: std::mem::take(&mut config.warnings),
            done: done_signal,
        };
        let spawned = std::thread::Builder::new()
            .name(format!("{}-telemetry", settings.tool_name))
            .spawn(move || worker.run(sinks));
        // Without its thread, telemetry stays off rather than disturb the host program.
        let active = spawned.ok().map(|_detached| Active {
            context,
            queue,
            open: AtomicBool::new(true),
            shared,
            done: Mutex::new(Some(done)),
            // The timeout bounds what telemetry costs the host program at start and at exit
            // together, so that a run is never longer than the timeout for telemetry's sake.
            shutdown_budget: settings
                .shutdown_timeout
                .saturating_sub(started.elapsed())
                .saturating_sub(EXIT_MARGIN),
        });
        Telemetry { status, active }
    }
}

/// The run's context: everything the events of this run share.
fn detect_context(settings: &Settings, config: &mut settings::Config) -> Context {
    let user_id = if Context::is_user_id(&settings.user_id) {
        settings.user_id.clone()
    } else {
        config
            .warnings
            .push("the program's user ID does not look anonymous and was not sent".into());
        String::new()
    };
    let project_dir = settings
        .project_dir
        .clone()
        .or_else(|| std::env::current_dir().ok());
    Context {
        execution_id: detect::execution_id(),
        user_id,
        project_id: project_dir
            .map(|dir| project_id::detect(&dir))
            .unwrap_or_default(),
        command: settings.command.clone(),
        attributes: Attributes {
            arch: detect::arch().to_owned(),
            os: detect::os().to_owned(),
            group_channel: config.group_channel.take(),
            version: settings.tool_version.clone(),
            ci: config.ci.0,
            ci_name: config.ci.1.map(str::to_owned),
            extra: std::mem::take(&mut config.extra),
        },
    }
}

impl Telemetry {
    /// Telemetry configured by `settings` and the process environment.
    pub fn from_env(settings: Settings) -> Self {
        Self::builder(settings).build()
    }

    /// A builder, to pin the environment or add sinks.
    pub fn builder(settings: Settings) -> TelemetryBuilder {
        TelemetryBuilder {
            settings,
            vars: None,
            sinks: Vec::new(),
        }
    }

    /// Telemetry that is off: every call does nothing.
    pub fn disabled() -> Self {
        Telemetry {
            status: Status {
                enabled: false,
                decided_by: settings::DecidedBy::Program,
            },
            active: None,
        }
    }

    /// Whether telemetry is on, and which setting decided.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The run's context, when telemetry is on.
    pub fn context(&self) -> Option<&Context> {
        self.active.as_ref().map(|active| &active.context)
    }

    /// Sends `event`, timestamped now.
    ///
    /// Never blocks beyond handing the event to a bounded queue, never panics, never prints:
    /// when the queue is full the event is dropped and counted (the count is a diagnostic in the
    /// log file); after [`shutdown`](Self::shutdown) events are ignored.
    #[inline]
    pub fn emit<E: TelemetryEvent + Send>(&self, event: E) {
        if let Some(active) = &self.active {
            active.emit(event);
        }
    }

    /// Delivers what is queued and stops the background thread, waiting at most the shutdown
    /// deadline ([`Settings::shutdown_timeout`], less what starting took). Later calls, and later
    /// events, do nothing.
    /// Also called on drop.
    pub fn shutdown(&self) {
        if let Some(active) = &self.active {
            active.shutdown();
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Active {
    fn emit<E: TelemetryEvent + Send>(&self, event: E) {
        if !self.open.load(Ordering::Relaxed) {
            return;
        }
        let ts = now_ms();
        match self.queue.try_send(Message::Event(ts, Box::new(event))) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn shutdown(&self) {
        if !self.open.swap(false, Ordering::AcqRel) {
            return;
        }
        let deadline = Instant::now() + self.shutdown_budget;
        *self
            .shared
            .deadline
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(deadline);
        // When the queue is full, the background thread is busy and sees the deadline after the
        // event at hand; when it is empty, this wakes it.
        let _ = self.queue.try_send(Message::Wake);
        let done = self
            .done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(done) = done {
            let _ = done.recv_timeout(deadline.saturating_duration_since(Instant::now()));
        }
    }
}

/// Calls `call` on every sink (each gets its turn whatever the others do); returns what failed.
fn for_each_sink(
    sinks: &mut [Box<dyn Sink>],
    mut call: impl FnMut(&mut dyn Sink) -> Result<(), SinkError>,
) -> Vec<SinkError> {
    sinks
        .iter_mut()
        .filter_map(|sink| call(sink.as_mut()).err())
        .collect()
}

/// Milliseconds since the Unix epoch; 0 for a clock set before 1970.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// The background thread.
struct Worker {
    inbox: Receiver<Message>,
    shared: Arc<Shared>,
    encoder: EnvelopeEncoder,
    context: Context,
    /// Opened on this thread, so that a slow file system never delays the host program.
    log_file_path: Option<std::path::PathBuf>,
    /// The transport, set up on this thread too.
    otlp: Option<OtlpConfig>,
    /// Where diagnostics go.
    log: Option<LogFile>,
    sinks: Vec<Box<dyn Sink>>,
    /// Whether a sink may hold events that an idle moment should send.
    pending: bool,
    buffer: Vec<u8>,
    warnings: Vec<String>,
    done: mpsc::Sender<()>,
}

impl Worker {
    fn run(mut self, mut extra_sinks: Vec<Box<dyn Sink>>) {
        if let Some(path) = self.log_file_path.take() {
            // An unwritable path changes nothing for the host program: no log file, that is all.
            if let Ok(log) = LogFile::open(&path) {
                self.sinks.push(Box::new(log.clone()));
                self.log = Some(log);
            }
        }
        if let Some(otlp) = self.otlp.take() {
            match OtlpSink::new(otlp) {
                Ok(transport) => self.sinks.push(Box::new(transport)),
                Err(error) => self.warnings.push(error.message),
            }
        }
        self.sinks.append(&mut extra_sinks);
        for warning in std::mem::take(&mut self.warnings) {
            self.diagnostic("configuration", &warning);
        }
        loop {
            if let Some(deadline) = self.deadline() {
                return self.finish(deadline);
            }
            let message = if self.pending {
                self.inbox.recv_timeout(IDLE)
            } else {
                self.inbox
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected)
            };
            match message {
                Ok(Message::Event(ts, event)) => self.deliver(ts, &*event),
                Ok(Message::Wake) => {}
                Err(RecvTimeoutError::Timeout) => self.idle(),
                Err(RecvTimeoutError::Disconnected) => {
                    // Every sender is gone without the deadline in sight (not expected: dropping
                    // the handle shuts down first): finish within the default budget.
                    return self.finish(Instant::now() + Duration::from_millis(250));
                }
            }
        }
    }

    fn deadline(&self) -> Option<Instant> {
        *self
            .shared
            .deadline
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn deliver(&mut self, ts: u64, event: &dyn Pending) {
        self.buffer.clear();
        let (event_type, schema_version) = (event.event_type(), event.schema_version());
        let range = match event.encode(&self.encoder, ts, &mut self.buffer) {
            Ok(range) => range,
            Err(error) => {
                let message = format!("{event_type} v{schema_version} did not serialise: {error}");
                return self.diagnostic("serialization", &message);
            }
        };
        // serde_json writes UTF-8; the check is cheap next to the serialisation.
        let Ok(envelope) = std::str::from_utf8(&self.buffer) else {
            return;
        };
        let encoded = EncodedEvent {
            ts,
            event_type,
            schema_version,
            context: &self.context,
            attributes_json: self.encoder.attributes_json(),
            event_data_json: envelope.get(range).unwrap_or_default(),
            envelope_json: envelope,
        };
        let errors = for_each_sink(&mut self.sinks, |sink| sink.deliver(&encoded));
        self.report_delivery(errors);
        self.pending = true;
    }

    fn idle(&mut self) {
        self.pending = false;
        let errors = for_each_sink(&mut self.sinks, |sink| sink.idle());
        self.report_delivery(errors);
        self.report_dropped();
    }

    /// Delivers what is still queued, then flushes the sinks, all before `deadline`.
    fn finish(mut self, deadline: Instant) {
        let mut undelivered = 0_u64;
        while let Ok(message) = self.inbox.try_recv() {
            if let Message::Event(ts, event) = message {
                if Instant::now() < deadline {
                    self.deliver(ts, &*event);
                } else {
                    undelivered += 1;
                }
            }
        }
        self.shared
            .dropped
            .fetch_add(undelivered, Ordering::Relaxed);
        self.report_dropped();
        let errors = for_each_sink(&mut self.sinks, |sink| sink.flush(deadline));
        self.report_delivery(errors);
        let _ = self.done.send(());
    }

    fn report_delivery(&self, errors: Vec<SinkError>) {
        for error in errors {
            self.diagnostic("delivery", &error.message);
        }
    }

    fn report_dropped(&mut self) {
        let dropped = self.shared.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let message = format!(
                "{dropped} event(s) dropped: the queue was full or the shutdown deadline passed"
            );
            self.diagnostic("dropped", &message);
        }
    }

    fn diagnostic(&self, kind: &str, message: &str) {
        if let Some(log) = &self.log {
            let _ = log.diagnostic(kind, message, now_ms(), &self.context.execution_id);
        }
    }
}
