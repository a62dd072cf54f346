//! The first-run notice a host program configures ([`Notice`]): what it says, and its version.
//! Whether a run shows it is the user's side of things, decided by the runtime's first-run
//! rule; the runtime never prints it.

use std::fmt::Write as _;

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
}

#[cfg(test)]
mod tests {
    use super::Notice;

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
}
