//! The background thread: detects the rest of the run's context, serialises each event, and
//! hands it to the log file's thread and to the sinks; at shutdown, delivers what is left and
//! writes the last diagnostics before the deadline.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::diagnostics::{self, Diagnostics, kind};
use super::log_file::LogWriter;
use super::otlp::{OtlpConfig, OtlpSink, Transport};
use super::proxy;
use super::queue::{self, Receiver, RecvTimeoutError, Sender};
use super::shared::{DueNotice, Message, Pending, Shared};
use super::sink::{EncodedEvent, Sink, SinkError};
use crate::model::context::Context;
use crate::model::encode::EnvelopeEncoder;
use crate::runtime::clock::{deadline_after, now_ms};
use crate::runtime::context::notice::Notice;
use crate::runtime::context::project_id;
use crate::runtime::context::settings::{self, DirSetting, Environment, Settings};
use crate::runtime::decision::decide::{self, DecidedBy, Status};
use crate::runtime::decision::{self, config_dir, first_run, hash_key, installation};
use crate::runtime::thread::spawn_detached;

/// How long the background thread waits for more events before a batching sink sends.
const IDLE: Duration = Duration::from_millis(5);

/// How many lines may wait for the log file beyond the events that may wait for this thread.
const LOG_ROOM: usize = 256;

/// How long one OTLP request may take while the program runs (werf gives each export 1.3 s).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest the background thread waits for the project's detection before it delivers
/// events without a `projectID`; once shutdown has begun, it waits at most half the time left.
const PROJECT_SHARE: Duration = Duration::from_secs(1);

/// How often the background thread looks for a shutdown while it waits for the project.
const PROJECT_POLL: Duration = Duration::from_millis(5);

/// The budget when every handle is gone without a shutdown (not expected: dropping the handle
/// shuts down first).
const ORPHANED_BUDGET: Duration = Duration::from_millis(250);

/// Of what is left of the shutdown budget when shutdown begins, the part kept to write the
/// last diagnostics: sinks must be done with `1 - 1/RESERVE_PART` of it. So the line saying
/// that the collector did not answer in time is written, every time, before the host returns.
const RESERVE_PART: u32 = 5;

/// What the host program's thread hands the worker.
pub(crate) struct Setup<'a> {
    pub(crate) inbox: Receiver<Message>,
    pub(crate) shared: Arc<Shared>,
    /// The context, but for the `projectID`.
    pub(crate) context: Context,
    pub(crate) settings: &'a Settings,
    pub(crate) config: settings::Config,
    pub(crate) env: Environment,
    pub(crate) sinks: Vec<Box<dyn Sink>>,
    /// How many events may wait: as many lines may wait for the log file.
    pub(crate) capacity: usize,
    pub(crate) done: Sender<()>,
    /// What the program and the environment decided: on, perhaps as a dry run.
    pub(crate) status: Status,
    /// Whether there is nowhere to send events (no endpoint, log file or sink): then only the
    /// notice is worked out, and no project read.
    pub(crate) nowhere: bool,
    /// Whether standard error was a terminal when telemetry started.
    pub(crate) stderr_is_terminal: bool,
}

/// Where the `projectID` is detected.
enum Project {
    /// It is not: the program has no projects ([`Settings::project_id`]), or there is nowhere
    /// to send.
    NotDetected,
    /// In the current directory.
    CurrentDir,
    /// In this directory.
    Dir(PathBuf),
}

/// The background thread's state.
pub(crate) struct Worker {
    inbox: Receiver<Message>,
    shared: Arc<Shared>,
    context: Context,
    /// Where the `projectID` is detected, if it is.
    project: Project,
    env: Environment,
    log_path: Option<PathBuf>,
    log: Option<LogWriter>,
    capacity: usize,
    /// Where the OTLP transport sends, if anywhere.
    endpoint: Option<String>,
    /// Who makes its requests.
    transport: Option<Transport>,
    /// The resource's `service.name`.
    tool_name: String,
    /// The name of the spans and of their scope.
    span_name: String,
    sinks: Vec<Box<dyn Sink>>,
    diagnostics: Diagnostics,
    warnings: Vec<String>,
    /// Whether a sink may hold events that an idle moment should send.
    pending: bool,
    buffer: Vec<u8>,
    done: Sender<()>,
    /// What the environment says of the telemetry configuration directory.
    config_dir: DirSetting,
    status: Status,
    stderr_is_terminal: bool,
    notice: Option<Notice>,
    env_prefix: String,
    /// Whether `userID` is the installation's ID.
    installation_id: bool,
    /// Why the hash key could not be used, when it could not.
    key_notes: Arc<Mutex<Vec<String>>>,
}

impl Worker {
    pub(crate) fn new(setup: Setup<'_>) -> Self {
        let Setup {
            inbox,
            shared,
            context,
            settings,
            mut config,
            env,
            sinks,
            capacity,
            done,
            status,
            nowhere,
            stderr_is_terminal,
        } = setup;
        Worker {
            inbox,
            shared,
            context,
            project: match (&settings.project_dir, settings.project_id && !nowhere) {
                (_, false) => Project::NotDetected,
                (None, true) => Project::CurrentDir,
                (Some(dir), true) => Project::Dir(dir.clone()),
            },
            env,
            log_path: config.log_file.take(),
            log: None,
            capacity,
            endpoint: config.endpoint.take(),
            transport: settings.transport,
            tool_name: settings.tool_name.clone(),
            span_name: settings.span_name.clone(),
            sinks,
            diagnostics: Diagnostics::default(),
            warnings: std::mem::take(&mut config.warnings),
            pending: false,
            buffer: Vec::with_capacity(1024),
            done,
            config_dir: std::mem::take(&mut config.dir),
            key_notes: Arc::default(),
            status,
            stderr_is_terminal,
            notice: settings.notice.clone(),
            env_prefix: settings.env_prefix.clone(),
            installation_id: settings.installation_id && settings.user_id.is_empty(),
        }
    }

    pub(crate) fn run(mut self) {
        let setting = std::mem::take(&mut self.config_dir);
        let dir = config_dir::locate(setting, &self.tool_name)
            .map_err(|problem| self.warnings.push(problem))
            .ok();
        // The remembered choice comes first: after a remembered `disable`, or a doubt, nothing
        // else is read, written or sent. `Control::status` decides with the same function.
        let remembered = decide::remembered(self.status.clone(), dir.as_deref());
        self.status = remembered.status;
        if !self.status.enabled {
            self.shared.decide(self.status.clone());
            // Doubt is an opt-out the user did not ask for in so many words: their log file, if
            // they keep one, says why nothing was written.
            if let (DecidedBy::Doubt { .. }, Some(problem)) =
                (&self.status.decided_by, &remembered.problem)
            {
                self.open_log(dir.as_deref());
                self.diagnostic(kind::CONFIGURATION, problem);
            }
            return self.discard();
        }
        let enabled_by_choice = matches!(self.status.decided_by, DecidedBy::Choice { .. });
        // Decided before anything slow: `Telemetry::status` and `Telemetry::notice` wait for it.
        let (notice_due, notice_problem) = self.notice_due(dir.as_deref(), enabled_by_choice);
        self.shared.decide(self.status.clone());
        let project = self.start_project_detection();
        self.open_log(dir.as_deref());
        let warnings = std::mem::take(&mut self.warnings);
        for warning in warnings.iter().chain(&notice_problem) {
            self.diagnostic(kind::CONFIGURATION, warning);
        }
        self.settle_identity(dir.as_deref());
        let notes = Arc::clone(&self.key_notes);
        // Read or made when an event first has something to hash: a program whose events hash
        // nothing never touches the configuration directory.
        crate::model::hashed::key_this_thread_with(move || {
            let (key, note) = hash_key::load_or_create(dir.as_deref());
            if let Some(note) = note {
                notes
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(note);
            }
            key
        });
        self.await_project(project);
        let encoder = EnvelopeEncoder::new(&self.context);
        if self.status.dry_run || notice_due {
            // Nothing leaves the machine: a dry run is for seeing what would be sent, and a run
            // the notice is due in sends nothing before the user has read it.
            self.sinks.clear();
        } else {
            self.start_transport();
        }
        loop {
            if let Some(deadline) = self.shared.deadline() {
                return self.finish(&encoder, deadline);
            }
            let message = if self.pending {
                self.inbox.recv_timeout(IDLE)
            } else {
                self.inbox.recv()
            };
            match message {
                Ok(Message::Event(ts, event)) => self.deliver(&encoder, ts, &*event),
                Ok(Message::Wake) => {}
                Err(RecvTimeoutError::Timeout) => self.idle(),
                Err(RecvTimeoutError::Disconnected) => {
                    return self.finish(&encoder, deadline_after(ORPHANED_BUDGET));
                }
            }
        }
    }

    /// Starts the log file's thread, unless the file would be one of telemetry's own (the
    /// remembered choice, say): events appended to it would change what the user decided.
    fn open_log(&mut self, dir: Option<&Path>) {
        let Some(path) = self.log_path.take() else {
            return;
        };
        if dir.is_some_and(|dir| config_dir::holds(dir, &path, decision::is_own_file_name)) {
            return;
        }
        self.log = LogWriter::spawn(
            path,
            // Room for every queued event, and for the diagnostics about them.
            self.capacity.saturating_add(LOG_ROOM),
            self.context.execution_id.clone(),
            Arc::clone(&self.shared),
        );
    }

    /// Detects the `projectID` on a thread of its own, from the project's directory (the
    /// current one, unless the settings name one): it reads git's files, which may be slow
    /// (a configuration that includes megabytes), and must never cost the run its events.
    fn start_project_detection(&mut self) -> Option<Receiver<String>> {
        let dir = match std::mem::replace(&mut self.project, Project::NotDetected) {
            Project::NotDetected => return None,
            Project::CurrentDir => std::env::current_dir().ok()?,
            Project::Dir(dir) => dir,
        };
        let env = self.env.clone();
        let (found, detection) = queue::bounded(1);
        let spawned = spawn_detached(
            format!("{}-telemetry-project", self.tool_name),
            Box::new(move || {
                let id = project_id::detect_in(&dir, &|name| env.raw(name).map(OsStr::to_owned));
                let _ = found.try_send(id);
            }),
        );
        spawned.ok().map(|()| detection)
    }

    /// The `projectID` once its detection is done, waiting for it at most [`PROJECT_SHARE`],
    /// and, once shutdown has begun, at most half the time left before the deadline; when it
    /// is not done by then, events go without it.
    fn await_project(&mut self, detection: Option<Receiver<String>>) {
        let Some(detection) = detection else {
            return;
        };
        let started = Instant::now();
        let mut give_up = deadline_after(PROJECT_SHARE);
        let mut shutdown_seen = false;
        loop {
            let now = Instant::now();
            if !shutdown_seen && let Some(deadline) = self.shared.deadline() {
                shutdown_seen = true;
                let half = deadline.saturating_duration_since(now).checked_div(2);
                give_up = give_up.min(deadline_after(half.unwrap_or_default()));
            }
            if now >= give_up {
                let waited = now.saturating_duration_since(started).as_millis();
                return self.diagnostic(
                    kind::CONFIGURATION,
                    &format!(
                        "the project was not identified in time (given up after {waited} ms), \
                         so events are sent without a projectID"
                    ),
                );
            }
            match detection.recv_timeout(give_up.saturating_duration_since(now).min(PROJECT_POLL)) {
                Ok(id) => {
                    self.context.project_id = id;
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// After a remembered `disable`: the host program's events are no longer accepted, and
    /// those already queued are dropped unread, until shutdown.
    fn discard(self) {
        self.shared.silenced.store(true, Ordering::Relaxed);
        while self.shared.deadline().is_none() && self.inbox.recv().is_ok() {}
        if let Some(log) = &self.log {
            log.flush(
                self.shared
                    .deadline()
                    .unwrap_or_else(|| deadline_after(ORPHANED_BUDGET)),
            );
        }
        let _ = self.done.try_send(());
    }

    /// Makes `userID` the installation's ID when the program asks for it.
    fn settle_identity(&mut self, dir: Option<&Path>) {
        if !self.installation_id {
            return;
        }
        let id = dir.map_or_else(
            || Err("no configuration directory is known, so no installation ID is sent".into()),
            installation::get_or_create,
        );
        match id {
            Ok(id) => self.context.user_id = id,
            Err(problem) => self.diagnostic(kind::CONFIGURATION, &problem),
        }
    }

    /// Whether the first-run notice is due in this run; when it is, its text waits for the host
    /// program, which records it as shown when it takes it. Also why it may show again.
    fn notice_due(
        &mut self,
        dir: Option<&Path>,
        enabled_by_choice: bool,
    ) -> (bool, Option<String>) {
        let Some(notice) = self.notice.take() else {
            return (false, None);
        };
        let circumstances = first_run::Circumstances {
            ci: self.context.attributes.ci,
            stderr_is_terminal: self.stderr_is_terminal,
            enabled_by_choice,
        };
        let (due, problem) = first_run::due(&notice, circumstances, dir);
        if due {
            *self
                .shared
                .notice
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(DueNotice {
                text: notice.text(&self.env_prefix),
                record: dir.map(|dir| (notice.version, dir.to_owned())),
            });
        }
        (due, problem)
    }

    /// The OTLP transport, its proxy decided from the environment the runtime started with.
    fn start_transport(&mut self) {
        let Some(endpoint) = self.endpoint.take() else {
            return;
        };
        let route = proxy::route(&endpoint, |name| self.env.get(name));
        let config = OtlpConfig {
            transport: self.transport,
            endpoint,
            service_name: self.tool_name.clone(),
            span_name: self.span_name.clone(),
            route,
            request_timeout: REQUEST_TIMEOUT,
        };
        match OtlpSink::new(config) {
            Ok(transport) => self.sinks.push(Box::new(transport)),
            Err(error) => self.diagnostic(kind::CONFIGURATION, &error.message),
        }
    }

    fn deliver(&mut self, encoder: &EnvelopeEncoder, ts: u64, event: &dyn Pending) {
        self.buffer.clear();
        let (event_type, schema_version) = (event.event_type(), event.schema_version());
        let result = event.encode(encoder, ts, &mut self.buffer);
        let notes = std::mem::take(
            &mut *self
                .key_notes
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for note in notes {
            self.diagnostic(kind::CONFIGURATION, &note);
        }
        let range = match result {
            Ok(range) => range,
            Err(error) => {
                let message = format!("{event_type} v{schema_version} {error}");
                return self.diagnostic(kind::SERIALIZATION, &message);
            }
        };
        if let Some(log) = &self.log {
            log.write(self.buffer.clone());
        }
        // serde_json writes UTF-8; the check is cheap next to the serialisation.
        let Ok(envelope) = std::str::from_utf8(&self.buffer) else {
            return;
        };
        let serialised = EncodedEvent {
            ts,
            event_type,
            schema_version,
            context: &self.context,
            attributes_json: encoder.attributes_json(),
            event_data_json: envelope.get(range).unwrap_or_default(),
            envelope_json: envelope,
        };
        let errors = for_each_sink(&mut self.sinks, |sink| sink.deliver(&serialised));
        self.report_delivery(errors);
        self.pending = true;
    }

    fn idle(&mut self) {
        self.pending = false;
        let errors = for_each_sink(&mut self.sinks, |sink| sink.idle());
        self.report_delivery(errors);
        self.report_dropped();
    }

    /// Delivers what is still queued and flushes the sinks, keeping part of the time left to
    /// write the last diagnostics; then waits for the log file to have them, all before
    /// `deadline`.
    fn finish(mut self, encoder: &EnvelopeEncoder, deadline: Instant) {
        let reserve = deadline
            .saturating_duration_since(Instant::now())
            .checked_div(RESERVE_PART)
            .unwrap_or_default();
        let sinks_deadline = deadline.checked_sub(reserve).unwrap_or(deadline);
        let mut undelivered = 0_u64;
        while let Some(message) = self.inbox.try_recv() {
            if let Message::Event(ts, event) = message {
                if Instant::now() < sinks_deadline {
                    self.deliver(encoder, ts, &*event);
                } else {
                    undelivered = undelivered.saturating_add(1);
                }
            }
        }
        self.shared
            .dropped
            .fetch_add(undelivered, Ordering::Relaxed);
        self.report_dropped();
        let errors = for_each_sink(&mut self.sinks, |sink| sink.flush(sinks_deadline));
        self.report_delivery(errors);
        for (kind, message) in self.diagnostics.summaries() {
            self.write_diagnostic(kind, &message);
        }
        if let Some(log) = &self.log {
            log.flush(deadline);
        }
        let _ = self.done.try_send(());
    }

    fn report_delivery(&mut self, errors: Vec<SinkError>) {
        for error in errors {
            self.diagnostic(kind::DELIVERY, &error.message);
        }
    }

    fn report_dropped(&mut self) {
        let dropped = self.shared.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let message = format!(
                "{dropped} event(s) dropped: the queue was full or the shutdown deadline passed"
            );
            self.diagnostic(kind::DROPPED, &message);
        }
    }

    /// A diagnostic, unless enough of its kind were written already (then it is counted).
    fn diagnostic(&mut self, kind: &'static str, message: &str) {
        if self.diagnostics.admit(kind) {
            self.write_diagnostic(kind, message);
        }
    }

    fn write_diagnostic(&self, kind: &str, message: &str) {
        if let Some(log) = &self.log {
            log.write(diagnostics::line(
                kind,
                message,
                now_ms(),
                &self.context.execution_id,
            ));
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
