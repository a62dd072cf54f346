//! The runtime a host program links. [`Telemetry`] reads the environment once; everything that
//! touches the file system or the network (detecting the project, the log file, the transport)
//! happens on background threads. The host program's thread never waits beyond a bounded queue,
//! and at exit never waits beyond the shutdown deadline.
//!
//! Its rooms, in the order a run goes through them:
//!
//! - [`context`]: the run's context: what the program says (its settings and first-run
//!   notice), what the environment says, and what is detected (OS, CPU, CI system, the
//!   project's git origin);
//! - [`decision`]: the user's decision and identity: whether telemetry is on and what decided,
//!   the remembered choice and the controls that change it, the first-run notice's marker, the
//!   installation's ID and hash key, all in the telemetry configuration directory;
//! - [`delivery`]: how events travel: the queue from the host program's thread, the worker
//!   thread that serialises each event, the log file's thread, the sinks and the OTLP
//!   transport's thread, and the diagnostics they write.
//!
//! Two leaves serve them all: [`fs`] (the bounded, non-blocking file access the runtime allows
//! itself) and [`clock`].

// Telemetry runs inside someone else's program: nothing here may panic.
#![deny(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented,
    clippy::arithmetic_side_effects
)]

mod clock;
pub(crate) mod context;
pub(crate) mod decision;
pub(crate) mod delivery;
mod fs;
pub(crate) mod thread;

use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use self::clock::{deadline_after, now_ms};
use self::context::detect;
use self::context::settings::{self, Environment, Settings};
use self::decision::decide::{self, Status};
use self::decision::first_run;
use self::delivery::queue::{self, Receiver, Sender, TrySendError};
use self::delivery::shared::{Message, Shared};
use self::delivery::sink::Sink;
use self::delivery::worker;
use crate::model::context::{Attributes, Context};
use crate::model::event::TelemetryEvent;

/// What shutdown leaves of its budget for what follows it: the wake-up after the deadline, and
/// the threads and sockets it abandons being torn down with the process. Measured at about 1 ms.
const EXIT_MARGIN: Duration = Duration::from_millis(2);

/// The most events that may wait for the background thread, whatever the settings say: the
/// queue's slots are allocated up front.
const MAX_QUEUE: usize = 1 << 16;

/// The telemetry of one run of a host program.
///
/// ```
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
    execution_id: String,
    queue: Sender<Message>,
    /// Whether events are still accepted: cleared by the first shutdown.
    open: AtomicBool,
    shared: Arc<Shared>,
    /// Signalled by the background thread when it is done; taken by the first shutdown.
    done: Mutex<Option<Receiver<()>>>,
    /// What shutdown may still take: the shutdown timeout less what starting cost the host.
    shutdown_budget: Duration,
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

    /// Delivers events to `sink` too. A sink runs on the background thread and should be quick:
    /// while it works, the others wait. In a dry run (`<PREFIX>_TELEMETRY=local`), and in the run
    /// that shows the first-run notice, no sink gets any event: only the log file does.
    pub fn sink(mut self, sink: impl Sink + 'static) -> Self {
        self.sinks.push(Box::new(sink));
        self
    }

    /// Decides whether telemetry is on and, when it is, starts the background thread. The
    /// calling thread only reads the environment: detecting the project and opening files
    /// happen on the background thread.
    pub fn build(self) -> Telemetry {
        let started = Instant::now();
        let TelemetryBuilder {
            settings,
            vars,
            sinks,
        } = self;
        let env = Environment::new(vars.unwrap_or_else(|| std::env::vars_os().collect()));
        let status = decide::from_environment(&settings, &env);
        if !status.enabled {
            return Telemetry {
                status,
                active: None,
            };
        }
        let mut config = settings::read(&settings, &env);
        let nowhere = config.endpoint.is_none() && config.log_file.is_none() && sinks.is_empty();
        if nowhere && settings.notice.is_none() {
            // Nowhere to send, and no notice to show: nothing to compute, read or start.
            return Telemetry {
                status,
                active: None,
            };
        }
        let context = context_without_project(&settings, &mut config);
        let execution_id = context.execution_id.clone();
        let capacity = settings.queue_capacity.clamp(1, MAX_QUEUE);
        let (queue, inbox) = queue::bounded(capacity);
        let (done_signal, done) = queue::unbounded();
        let shared = Arc::new(Shared::default());
        let worker = worker::Worker::new(worker::Setup {
            inbox,
            shared: Arc::clone(&shared),
            context,
            settings: &settings,
            config,
            env,
            sinks,
            capacity,
            done: done_signal,
            status: status.clone(),
            // With nowhere to send, only the notice is worked out: no project is read.
            nowhere,
            // One system call, and no file-system access.
            stderr_is_terminal: std::io::stderr().is_terminal(),
        });
        let spawned = thread::spawn_detached(
            format!("{}-telemetry", settings.tool_name),
            Box::new(move || worker.run()),
        );
        // Without its thread, telemetry stays off rather than disturb the host program.
        let active = spawned.ok().map(|()| Active {
            execution_id,
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

/// The run's context as far as the environment tells it; the worker adds the `projectID`.
fn context_without_project(settings: &Settings, config: &mut settings::Config) -> Context {
    let user_id = if Context::is_user_id(&settings.user_id) {
        settings.user_id.clone()
    } else {
        config
            .warnings
            .push("the program's user ID is not a pseudonymous identifier (at most 128 letters, digits and `._:-`) and was not sent".into());
        String::new()
    };
    Context {
        execution_id: detect::execution_id(),
        user_id,
        project_id: String::new(),
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
                dry_run: false,
                decided_by: decide::DecidedBy::Program,
            },
            active: None,
        }
    }

    /// Whether telemetry is on, and which setting decided, the user's remembered choice
    /// included: exactly what [`Control::status`](crate::Control::status) says (one function
    /// decides for both). The remembered choice is read by the background thread, off the host
    /// program's path; when telemetry is on as far as the program and the environment tell,
    /// this waits for that thread to have read it, at most the shutdown timeout, and answers
    /// with what the environment decided should it not have by then.
    pub fn status(&self) -> &Status {
        self.active
            .as_ref()
            .and_then(|active| active.shared.decision(active.shutdown_budget))
            .unwrap_or(&self.status)
    }

    /// The first-run notice, when it is due in this run: the program prints it, to standard
    /// error, after [`shutdown`](Self::shutdown). Taking it records that it was shown (the
    /// marker in the configuration directory): a run interrupted before it prints the notice
    /// leaves it due, and the next run shows it. `None` when no notice is configured
    /// ([`Settings::notice`]), telemetry is off, a CI system runs the command, standard error is
    /// not a terminal, the user remembered `enable`, or an earlier run showed this version. A run
    /// the notice is due in sends nothing, whatever other runs do.
    ///
    /// The background thread decides it, off the program's path; like [`status`](Self::status),
    /// this waits for that (at most the shutdown timeout).
    pub fn notice(&self) -> Option<String> {
        let active = self.active.as_ref()?;
        let _decided = active.shared.decision(active.shutdown_budget);
        let mut due = active
            .shared
            .notice
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let due = due.as_mut()?;
        if let Some((version, dir)) = due.record.take() {
            // When it cannot be recorded, it shows again next time: nothing more to do here
            // (the runtime never prints).
            let _ = first_run::mark_shown(version, &dir);
        }
        Some(due.text.clone())
    }

    /// The run's `executionID`, when telemetry is on.
    pub fn execution_id(&self) -> Option<&str> {
        self.active
            .as_ref()
            .map(|active| active.execution_id.as_str())
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

    /// Delivers what is queued and stops the background threads, waiting at most the shutdown
    /// deadline ([`Settings::shutdown_timeout`], less what starting took). Later calls, and later
    /// events, do nothing.
    /// Also called on drop: but [`std::process::exit`] runs no drop, so a program that leaves
    /// through it calls this first, or [`exit`](Self::exit).
    pub fn shutdown(&self) {
        if let Some(active) = &self.active {
            active.shutdown();
        }
    }

    /// Shuts telemetry down ([`shutdown`](Self::shutdown)), then ends the process with `code`:
    /// what a program that leaves through [`std::process::exit`] calls instead, since that runs
    /// no destructor and would lose the events still queued.
    ///
    /// ```no_run
    /// # let telemetry = telemetry_core::Telemetry::from_env(telemetry_core::Settings::new("ACME", "acme", "1.0.0"));
    /// let code = 0; // what the program decided
    /// telemetry.exit(code)
    /// ```
    pub fn exit(self, code: i32) -> ! {
        self.shutdown();
        std::process::exit(code)
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Active {
    fn emit<E: TelemetryEvent + Send>(&self, event: E) {
        if !self.open.load(Ordering::Relaxed) || self.shared.silenced.load(Ordering::Relaxed) {
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
        let deadline = deadline_after(self.shutdown_budget);
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
