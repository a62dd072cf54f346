//! Whether telemetry is on, and what decided: the program's switch, the environment's
//! opt-outs, the user's remembered choice, and the dry run, in one order of precedence that the
//! docs render from [`PRECEDENCE`]. Any opt-out wins, wherever it is said.

use std::fmt;
use std::path::{Path, PathBuf};

use super::choice::{self, Choice};
use crate::runtime::context::environment::{self, EnvVar};
use crate::runtime::context::settings::{Environment, Settings};

/// Whether telemetry is on, and which setting decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Whether events are collected.
    pub enabled: bool,
    /// Whether this is a dry run (`<PREFIX>_TELEMETRY=local`): events are written to the log
    /// file only, and nothing is sent, not even a connection attempted.
    pub dry_run: bool,
    /// What decided.
    pub decided_by: DecidedBy,
}

/// The setting that decided whether telemetry is on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecidedBy {
    /// Nothing said otherwise: telemetry is on by default.
    Default,
    /// An environment variable, with its value.
    Variable {
        /// The variable's name.
        name: String,
        /// Its value (non-UTF-8 bytes replaced).
        value: String,
    },
    /// The host program ([`Settings::enabled`]).
    Program,
    /// The user's remembered choice, in this file.
    Choice {
        /// The file the choice is kept in.
        path: PathBuf,
    },
    /// A doubt, which counts as an opt-out: the file that keeps the remembered choice holds
    /// something other than a choice's record, cannot be read, or is not trusted.
    Doubt {
        /// The file the choice is kept in.
        path: PathBuf,
        /// Why it is no choice.
        why: String,
    },
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match (self.enabled, self.dry_run) {
            (false, _) => "off",
            (true, false) => "on",
            (true, true) => "on as a dry run (events go to the log file only; nothing is sent)",
        };
        match &self.decided_by {
            DecidedBy::Default => write!(f, "telemetry is {state} (the default)"),
            DecidedBy::Variable { name, value } => {
                write!(f, "telemetry is {state}: {name}={value}")
            }
            DecidedBy::Program => write!(f, "telemetry is {state}: turned off by the program"),
            DecidedBy::Choice { path } => write!(
                f,
                "telemetry is {state}: the choice remembered in {}",
                path.display()
            ),
            DecidedBy::Doubt { path, why } => write!(
                f,
                "telemetry is {state}: {} is not a remembered choice ({why}), and doubt counts \
                 as an opt-out",
                path.display()
            ),
        }
    }
}

/// One row of the order of precedence: a setting, and what it does when it is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The setting, `{PREFIX}` for the program's prefix.
    pub setting: &'static str,
    /// What it does, Markdown.
    pub effect: &'static str,
}

/// The settings that decide whether telemetry is on, the first that applies winning: every
/// opt-out comes before anything that turns telemetry on.
pub const PRECEDENCE: &[Rule] = &[
    Rule {
        setting: "the program's own switch (a `--no-telemetry` flag, say)",
        effect: "off",
    },
    Rule {
        setting: "`{PREFIX}_TELEMETRY` is `0`, `false`, `no` or `off`",
        effect: "off",
    },
    Rule {
        setting: "`DO_NOT_TRACK` is `1` or `true`",
        effect: "off",
    },
    Rule {
        setting: "the remembered choice is `disable`",
        effect: "off",
    },
    Rule {
        setting: "the file of the remembered choice holds anything but `enable`'s or \
                  `disable`'s record, cannot be read, or is not trusted (it or its directory is \
                  another user's, or others can write to it)",
        effect: "off: doubt counts as an opt-out",
    },
    Rule {
        setting: "`{PREFIX}_TELEMETRY` is `local`",
        effect: "a dry run: events go to the log file only, nothing is sent",
    },
    Rule {
        setting: "`{PREFIX}_TELEMETRY` has any other value",
        effect: "on",
    },
    Rule {
        setting: "the remembered choice is `enable`",
        effect: "on, without the first-run notice",
    },
    Rule {
        setting: "nothing of the above",
        effect: "on",
    },
];

/// What the program and the environment decide, read without touching the file system: every
/// opt-out but the remembered one. When this is on, [`with_choice`] applies the remembered
/// choice, read off the host program's thread.
pub(crate) fn from_environment(settings: &Settings, env: &Environment) -> Status {
    let off = |decided_by| Status {
        enabled: false,
        dry_run: false,
        decided_by,
    };
    if !settings.enabled {
        return off(DecidedBy::Program);
    }
    let variable = |var: &EnvVar| -> Option<DecidedBy> {
        let name = var.name_for(&settings.env_prefix);
        let value = env.raw(&name)?.to_string_lossy().into_owned();
        Some(DecidedBy::Variable { name, value })
    };
    let value_is = |decided: &DecidedBy, options: &[&str]| match decided {
        DecidedBy::Variable { value, .. } => is_one_of(value, options),
        _ => false,
    };
    let telemetry = variable(&environment::TELEMETRY);
    if let Some(decided) = telemetry
        .clone()
        .filter(|decided| value_is(decided, &["0", "false", "no", "off"]))
    {
        return off(decided);
    }
    if let Some(decided) =
        variable(&environment::DO_NOT_TRACK).filter(|decided| value_is(decided, &["1", "true"]))
    {
        return off(decided);
    }
    match telemetry.filter(|decided| !value_is(decided, &[""])) {
        Some(decided) => Status {
            enabled: true,
            dry_run: value_is(&decided, &["local"]),
            decided_by: decided,
        },
        None => Status {
            enabled: true,
            dry_run: false,
            decided_by: DecidedBy::Default,
        },
    }
}

/// The remembered choice, and what it makes of what the program and the environment decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Remembered {
    /// Whether telemetry is on, and what decided, the remembered choice applied.
    pub(crate) status: Status,
    /// The remembered choice, if there is one.
    pub(crate) choice: Option<Choice>,
    /// Why the file that keeps it is no choice (a doubt), when it is not.
    pub(crate) problem: Option<String>,
}

/// `status` (from [`from_environment`]) with the choice remembered in the configuration
/// directory `dir` applied: the one function that decides, for a run
/// ([`Telemetry::status`](crate::Telemetry::status)) and for the user's controls
/// ([`Control::status`](crate::Control::status)), so that the two always agree.
pub(crate) fn remembered(status: Status, dir: Option<&Path>) -> Remembered {
    let Some(dir) = dir else {
        return Remembered {
            status,
            choice: None,
            problem: None,
        };
    };
    let path = dir.join(choice::FILE_NAME);
    let read = choice::read(dir);
    let problem = read.as_ref().err().map(|why| {
        format!(
            "{} is not a remembered choice ({why}): doubt counts as an opt-out, so telemetry is \
             off until `enable` or `disable` replaces it",
            path.display()
        )
    });
    Remembered {
        choice: read.clone().ok().flatten(),
        status: with_choice(status, read, path),
        problem,
    }
}

/// `status` (from [`from_environment`]) with the remembered choice, kept at `path`, applied: a
/// remembered `disable`, and a doubt (`Err`, why the file is no choice), are opt-outs and win
/// over any way of turning telemetry on; a remembered `enable` decides only when nothing else
/// did.
pub(crate) fn with_choice(
    status: Status,
    choice: Result<Option<Choice>, String>,
    path: PathBuf,
) -> Status {
    if !status.enabled {
        return status;
    }
    let off = |decided_by| Status {
        enabled: false,
        dry_run: false,
        decided_by,
    };
    match choice {
        Ok(Some(Choice::Disabled)) => off(DecidedBy::Choice { path }),
        Err(why) => off(DecidedBy::Doubt { path, why }),
        Ok(Some(Choice::Enabled)) if status.decided_by == DecidedBy::Default => Status {
            enabled: true,
            dry_run: false,
            decided_by: DecidedBy::Choice { path },
        },
        Ok(_) => status,
    }
}

/// Whether `value`, trimmed, is one of `options` in any case.
fn is_one_of(value: &str, options: &[&str]) -> bool {
    let value = value.trim();
    options
        .iter()
        .any(|option| value.eq_ignore_ascii_case(option))
}

#[cfg(test)]
mod tests;
