//! The user's controls, for a host program's `telemetry` subcommand: [`Control::status`]
//! explains what telemetry does and why, [`Control::enable`] and [`Control::disable`] remember a
//! choice, [`Control::reset`] forgets the installation's identifiers. These are what the user
//! asked for, so they read and write the configuration directory on the calling thread.
//!
//! ```
//! use telemetry_core::{Control, Settings};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let settings = Settings::new("ACME", "acme", "1.0.0");
//! let control = Control::with_vars(&settings, [("ACME_TELEMETRY_CONFIG_DIR".into(), dir.path().into())]);
//! assert!(control.status().status.enabled);
//! let report = control.disable().unwrap();
//! assert!(!report.status.enabled);
//! assert!(report.to_string().contains("telemetry: off, decided by the choice remembered in"));
//! ```

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use super::choice::{self, Choice};
use super::decide::{self, DecidedBy, Status};
use super::{config_dir, hash_key, installation};
use crate::runtime::context::environment;
use crate::runtime::context::settings::{self, Environment, Settings};

/// The user's controls over one program's telemetry.
#[derive(Debug)]
pub struct Control {
    env_prefix: String,
    command: Option<String>,
    /// What the program and the environment decide, before the remembered choice.
    from_environment: Status,
    endpoint: Option<String>,
    log_file: Option<PathBuf>,
    /// The configuration directory, or why there is none.
    dir: Result<PathBuf, String>,
    problems: Vec<String>,
}

/// What telemetry does now, and why: what [`Control::status`] and every other control return.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// Whether telemetry is on, and what decided.
    pub status: Status,
    /// The remembered choice: `Some(true)` for `enable`, `Some(false)` for `disable`.
    pub choice: Option<bool>,
    /// Where events are sent, when they are sent.
    pub endpoint: Option<String>,
    /// The log file every event is appended to, if one is set.
    pub log_file: Option<PathBuf>,
    /// The installation's pseudonymous ID, if one was made.
    pub installation_id: Option<String>,
    /// The telemetry configuration directory, if one is known.
    pub config_dir: Option<PathBuf>,
    /// What the control just did, in words.
    pub done: Vec<String>,
    /// What is wrong with the configuration: a variable, a file that cannot be read.
    pub problems: Vec<String>,
    env_prefix: String,
    command: Option<String>,
}

/// Why a control could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlError {
    message: String,
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ControlError {}

impl Control {
    /// The controls of the program `settings` describe, in the process environment.
    pub fn new(settings: &Settings) -> Self {
        Self::with_vars(settings, std::env::vars_os())
    }

    /// The controls in an environment of exactly `vars` (for tests, or a program that filters
    /// its environment).
    pub fn with_vars(
        settings: &Settings,
        vars: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Self {
        let env = Environment::new(vars);
        let config = settings::read(settings, &env);
        Control {
            env_prefix: settings.env_prefix.clone(),
            command: settings
                .notice
                .as_ref()
                .and_then(|notice| notice.command.clone()),
            from_environment: decide::from_environment(settings, &env),
            endpoint: config.endpoint,
            log_file: config.log_file,
            dir: config_dir::locate(config.dir, &settings.tool_name),
            problems: config.warnings,
        }
    }

    /// What telemetry does now, and why.
    pub fn status(&self) -> Report {
        let mut problems = self.problems.clone();
        problems.extend(self.dir.as_ref().err().cloned());
        let dir = self.dir.as_deref().ok();
        let remembered = decide::remembered(self.from_environment.clone(), dir);
        problems.extend(remembered.problem);
        let (status, choice) = (remembered.status, remembered.choice);
        let installation_id = dir.and_then(|dir| {
            installation::read(dir).unwrap_or_else(|problem| {
                problems.push(problem);
                None
            })
        });
        let sending = status.enabled && !status.dry_run;
        Report {
            endpoint: self.endpoint.clone().filter(|_| sending),
            log_file: self.log_file.clone().filter(|_| status.enabled),
            status,
            choice: choice.map(|choice| choice == Choice::Enabled),
            installation_id,
            config_dir: dir.map(PathBuf::from),
            done: Vec::new(),
            problems,
            env_prefix: self.env_prefix.clone(),
            command: self.command.clone(),
        }
    }

    /// Remembers `enable`: telemetry is on unless an opt-out says otherwise (a remembered
    /// `enable` never overrides one), and no first-run notice is shown.
    ///
    /// # Errors
    ///
    /// When no configuration directory is known, or the choice cannot be stored.
    pub fn enable(&self) -> Result<Report, ControlError> {
        self.remember(Choice::Enabled)
    }

    /// Remembers `disable`: telemetry is off, whatever else says on.
    ///
    /// # Errors
    ///
    /// When no configuration directory is known, or the choice cannot be stored.
    pub fn disable(&self) -> Result<Report, ControlError> {
        self.remember(Choice::Disabled)
    }

    /// Forgets the installation's pseudonymous identifiers: its ID and the secret that keyed
    /// hashes are made with. New ones are made when next needed, unrelated to the old. Every
    /// file is attempted, whatever happens to the others.
    ///
    /// # Errors
    ///
    /// When no configuration directory is known, or any of the files remains: the error names
    /// each, and what was forgotten.
    pub fn reset(&self) -> Result<Report, ControlError> {
        let dir = self.dir()?;
        let mut done = Vec::new();
        let mut remaining = Vec::new();
        for (file, what) in [
            (installation::FILE_NAME, "the installation ID"),
            (hash_key::FILE_NAME, "the key hashed fields are made with"),
        ] {
            match config_dir::remove(dir, file) {
                Ok(true) => done.push(format!("forgot {what}; a new one is made when needed")),
                Ok(false) => {}
                Err(error) => remaining.push(format!(
                    "cannot forget {what}: {} cannot be removed ({error})",
                    dir.join(file).display()
                )),
            }
        }
        if !remaining.is_empty() {
            let mut message = remaining.join("\n");
            for done in &done {
                message.push('\n');
                message.push_str(done);
            }
            return Err(ControlError { message });
        }
        if done.is_empty() {
            done.push("there was nothing to forget".into());
        }
        let mut report = self.status();
        report.done = done;
        Ok(report)
    }

    fn remember(&self, choice: Choice) -> Result<Report, ControlError> {
        let dir = self.dir()?;
        let moved = choice::write(dir, choice).map_err(|error| ControlError {
            message: format!(
                "cannot remember the choice in {} ({error})",
                dir.join(choice::FILE_NAME).display()
            ),
        })?;
        let mut report = self.status();
        let word = match choice {
            Choice::Enabled => "enable",
            Choice::Disabled => "disable",
        };
        report.done.push(format!(
            "remembered `{word}` in {}",
            dir.join(choice::FILE_NAME).display()
        ));
        if let Some(moved) = moved {
            report.done.push(format!(
                "the unreadable file that was there is kept as {}",
                moved.display()
            ));
        }
        Ok(report)
    }

    /// The configuration directory, when there is one that may hold telemetry's files.
    fn dir(&self) -> Result<&std::path::Path, ControlError> {
        let dir = self.dir.as_deref().map_err(|why| ControlError {
            message: format!(
                "{why}; set {} to an absolute path; nothing was changed",
                environment::CONFIG_DIR.name_for(&self.env_prefix)
            ),
        })?;
        config_dir::check_trusted(dir).map_err(|error| ControlError {
            message: format!(
                "{error}; telemetry keeps its files only in a directory of this user's that no \
                 one else can write (as git trusts a repository), so nothing was changed"
            ),
        })?;
        Ok(dir)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for done in &self.done {
            writeln!(f, "{done}")?;
        }
        let state = match (self.status.enabled, self.status.dry_run) {
            (false, _) => "off",
            (true, false) => "on",
            (true, true) => "on as a dry run: events go to the log file only, nothing is sent",
        };
        let decided = match &self.status.decided_by {
            DecidedBy::Default => "the default (nothing says otherwise)".to_owned(),
            DecidedBy::Variable { name, value } => format!("{name}={value}"),
            DecidedBy::Program => "the program".to_owned(),
            DecidedBy::Choice { path } => {
                format!("the choice remembered in {}", path.display())
            }
            DecidedBy::Doubt { path, .. } => format!(
                "doubt: {} is not a remembered choice (see the problem below), and doubt counts \
                 as an opt-out",
                path.display()
            ),
        };
        writeln!(f, "telemetry: {state}, decided by {decided}")?;
        let overridden = !self.status.enabled
            && self.choice == Some(true)
            && !matches!(self.status.decided_by, DecidedBy::Choice { .. });
        match self.choice {
            None => writeln!(f, "remembered choice: none")?,
            Some(true) if overridden => writeln!(
                f,
                "remembered choice: enable, which never overrides an opt-out"
            )?,
            Some(true) => writeln!(f, "remembered choice: enable")?,
            Some(false) => writeln!(f, "remembered choice: disable")?,
        }
        let log_variable = environment::LOG_FILE.name_for(&self.env_prefix);
        match (&self.endpoint, self.status.enabled) {
            (Some(endpoint), _) => writeln!(f, "events are sent to: {endpoint}")?,
            (None, true) if self.status.dry_run => writeln!(f, "events are sent to: nowhere")?,
            (None, true) => writeln!(f, "events are sent to: nowhere (no endpoint)")?,
            (None, false) => writeln!(f, "events are sent to: nowhere (telemetry is off)")?,
        }
        match &self.log_file {
            Some(path) => writeln!(f, "log file: {}", path.display())?,
            None => writeln!(
                f,
                "log file: none ({log_variable}=<file> keeps a copy of every event)"
            )?,
        }
        let reset = self.command.as_ref().map_or_else(String::new, |command| {
            format!("; `{command} reset` forgets it")
        });
        match &self.installation_id {
            Some(id) => {
                writeln!(
                    f,
                    "installation ID: {id} (pseudonymous: a random ID of this installation{reset})"
                )?;
                writeln!(
                    f,
                    "to have what was received from this installation erased, quote this ID: it \
                     is the userID of its events"
                )?;
            }
            None => writeln!(
                f,
                "installation ID: none (events carry the userID the program sets, if any: quote \
                 it, or your project's projectID, to have what was received erased)"
            )?,
        }
        match &self.config_dir {
            Some(dir) => writeln!(f, "configuration directory: {}", dir.display())?,
            None => writeln!(f, "configuration directory: none known")?,
        }
        for problem in &self.problems {
            writeln!(f, "problem: {problem}")?;
        }
        Ok(())
    }
}
