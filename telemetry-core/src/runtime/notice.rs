//! The first-run notice: the text a host program shows, once per user and again when its
//! version changes, and the rules for when. The runtime never prints it: the host program asks
//! for it ([`Telemetry::notice`](crate::Telemetry::notice)) and shows it.
//!
//! It is due only when telemetry is on, no CI system runs the command, standard error is a
//! terminal (someone is there to read it), the user has not remembered `enable` (they know
//! already), and no run has shown this version. The run that shows it sends nothing: what is
//! collected is read before anything is sent.

use std::fmt::Write as _;
use std::path::Path;

use super::config_dir;
use super::environment::{self, EnvVar};

/// What the host program's first-run notice says, and its version.
///
/// ```
/// use telemetry_core::{Notice, Settings};
///
/// let settings = Settings {
///     notice: Some(Notice {
///         docs_url: Some("https://acme.example/telemetry".into()),
///         command: Some("acme telemetry".into()),
///         ..Notice::new(1, "acme collects which commands run, how long they take and whether they succeed.")
///     }),
///     ..Settings::new("ACME", "acme", "1.0.0")
/// };
/// # assert_eq!(settings.notice.unwrap().version, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Its version: a new version is shown again, once. Raise it when what is collected
    /// changes materially (a new kind of data, a new purpose), not for every new event.
    pub version: u32,
    /// What is collected and why, in a sentence or two, first person of the program.
    pub summary: String,
    /// The page that lists everything sent (the generated `docs/telemetry.md`, published).
    pub docs_url: Option<String>,
    /// The program's telemetry subcommand, if it has one (`acme telemetry`): the notice tells
    /// the user to run `<command> disable`.
    pub command: Option<String>,
}

impl Notice {
    /// A notice of `version` saying `summary`, without a link or a subcommand.
    pub fn new(version: u32, summary: impl Into<String>) -> Self {
        Notice {
            version,
            summary: summary.into(),
            docs_url: None,
            command: None,
        }
    }

    /// The text shown: the summary, that this run sent nothing, how to see what would be sent,
    /// how to turn telemetry off, and where everything sent is listed.
    pub fn text(&self, env_prefix: &str) -> String {
        let var = |var: &EnvVar| var.name_for(env_prefix);
        let mut text = format!(
            "{}\nNothing was sent during this run. To see exactly what would be sent, without \
             sending anything, set {}=local and {}=<file>.\nTo turn telemetry off: ",
            self.summary.trim(),
            var(&environment::TELEMETRY),
            var(&environment::LOG_FILE),
        );
        if let Some(command) = &self.command {
            let _ = write!(text, "`{command} disable`, ");
        }
        let _ = write!(
            text,
            "{}=0 or {}=1.",
            var(&environment::TELEMETRY),
            var(&environment::DO_NOT_TRACK)
        );
        if let Some(url) = &self.docs_url {
            let _ = write!(text, "\nEverything it sends: {url}");
        }
        text
    }

    /// The marker file of this version in the configuration directory.
    fn marker(&self) -> String {
        format!("notice-shown-v{}", self.version)
    }
}

/// What decides whether the notice is due, besides the marker.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Circumstances {
    /// Whether a CI system runs the command.
    pub(crate) ci: bool,
    /// Whether standard error is a terminal.
    pub(crate) stderr_is_terminal: bool,
    /// Whether the user remembered `enable`.
    pub(crate) enabled_by_choice: bool,
}

/// Whether `notice` is shown by this run, given that telemetry is on: when it is due and this
/// run is the first to claim its version under `dir`. When the claim cannot be recorded (no
/// directory, or one that cannot be written), it is shown, with why it will show again.
pub(crate) fn claim(
    notice: &Notice,
    circumstances: Circumstances,
    dir: Option<&Path>,
) -> (bool, Option<String>) {
    let due =
        !circumstances.ci && circumstances.stderr_is_terminal && !circumstances.enabled_by_choice;
    if !due {
        return (false, None);
    }
    let Some(dir) = dir else {
        return (
            true,
            Some(
                "no configuration directory is known, so the first-run notice shows on every run"
                    .into(),
            ),
        );
    };
    match config_dir::claim(dir, &notice.marker()) {
        Ok(first) => (first, None),
        Err(error) => (
            true,
            Some(format!(
                "the first-run notice cannot be recorded in {} ({error}), so it shows on every run",
                dir.display()
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{Circumstances, Notice, claim};

    const AT_A_TERMINAL: Circumstances = Circumstances {
        ci: false,
        stderr_is_terminal: true,
        enabled_by_choice: false,
    };

    #[test]
    fn the_notice_says_what_how_to_see_and_how_to_stop() {
        let notice = Notice {
            docs_url: Some("https://acme.example/telemetry".into()),
            command: Some("acme telemetry".into()),
            ..Notice::new(1, "acme collects which commands run.")
        };
        assert_eq!(
            notice.text("ACME"),
            "acme collects which commands run.\n\
             Nothing was sent during this run. To see exactly what would be sent, without sending \
             anything, set ACME_TELEMETRY=local and ACME_TELEMETRY_LOG_FILE=<file>.\n\
             To turn telemetry off: `acme telemetry disable`, ACME_TELEMETRY=0 or DO_NOT_TRACK=1.\n\
             Everything it sends: https://acme.example/telemetry"
        );
        assert!(!Notice::new(1, "x").text("ACME").contains("disable`"));
    }

    #[test]
    fn shown_once_per_version_only_to_someone_at_a_terminal() {
        let dir = std::env::temp_dir().join(format!("telemetry-notice-{}", crate::random::token()));
        let first = Notice::new(1, "x");
        for (circumstances, what) in [
            (
                Circumstances {
                    ci: true,
                    ..AT_A_TERMINAL
                },
                "CI",
            ),
            (
                Circumstances {
                    stderr_is_terminal: false,
                    ..AT_A_TERMINAL
                },
                "no terminal",
            ),
            (
                Circumstances {
                    enabled_by_choice: true,
                    ..AT_A_TERMINAL
                },
                "a remembered enable",
            ),
        ] {
            assert_eq!(
                claim(&first, circumstances, Some(&dir)),
                (false, None),
                "{what}"
            );
        }
        assert_eq!(claim(&first, AT_A_TERMINAL, Some(&dir)), (true, None));
        assert_eq!(claim(&first, AT_A_TERMINAL, Some(&dir)), (false, None));
        let second = Notice::new(2, "x");
        assert_eq!(claim(&second, AT_A_TERMINAL, Some(&dir)), (true, None));
        assert_eq!(claim(&second, AT_A_TERMINAL, Some(&dir)), (false, None));
        let (shown, why) = claim(&first, AT_A_TERMINAL, None);
        assert!(shown && why.unwrap().contains("every run"));
    }
}
