//! Whether this run shows the first-run notice: once per user and again when its version
//! changes, and only when someone is there to read it. The runtime never prints it: the host
//! program asks for it ([`Telemetry::notice`](crate::Telemetry::notice)) and shows it.
//!
//! It is due only when telemetry is on, no CI system runs the command, standard error is a
//! terminal (someone is there to read it), the user has not remembered `enable` (they know
//! already), and no run has shown this version. A run it is due in sends nothing, whatever
//! other runs do: the user has not read it yet. It counts as shown only once it has been handed
//! to the host program to print ([`mark_shown`]), never when a run starts: a run interrupted
//! before then leaves it due, and two first runs at once both show it.

use std::path::Path;

use super::config_dir;
use crate::runtime::context::notice::Notice;

/// The marker file of `notice`'s version in the configuration directory.
fn marker(notice: &Notice) -> String {
    marker_of(notice.version)
}

/// How the name of every marker file begins.
pub(crate) const MARKER_PREFIX: &str = "notice-shown-v";

/// The marker file of a notice's `version`.
fn marker_of(version: u32) -> String {
    format!("{MARKER_PREFIX}{version}")
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

/// Whether `notice` is due in this run, given that telemetry is on: when the circumstances
/// call for it and no run has shown its version under `dir`. When that cannot be known (no
/// directory, or one that cannot be read), it is due, with why it will be due again.
pub(crate) fn due(
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
    match config_dir::exists(dir, &marker(notice)) {
        Ok(shown) => (!shown, None),
        Err(error) => (
            true,
            Some(format!(
                "whether the first-run notice was shown cannot be read in {} ({error}), so it \
                 shows",
                dir.display()
            )),
        ),
    }
}

/// Records under `dir` that `notice` was shown: called when the host program is handed its
/// text. An error says why it will show again.
pub(crate) fn mark_shown(notice_version: u32, dir: &Path) -> Result<(), String> {
    config_dir::claim(dir, &marker_of(notice_version))
        .map(drop)
        .map_err(|error| {
            format!(
                "the first-run notice cannot be recorded in {} ({error}), so it shows again",
                dir.display()
            )
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{Circumstances, due, mark_shown};
    use crate::runtime::context::notice::Notice;

    const AT_A_TERMINAL: Circumstances = Circumstances {
        ci: false,
        stderr_is_terminal: true,
        enabled_by_choice: false,
    };

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
                due(&first, circumstances, Some(&dir)),
                (false, None),
                "{what}"
            );
        }
        // Due until it is marked shown, however many runs find it due.
        assert_eq!(due(&first, AT_A_TERMINAL, Some(&dir)), (true, None));
        assert_eq!(due(&first, AT_A_TERMINAL, Some(&dir)), (true, None));
        mark_shown(1, &dir).unwrap();
        mark_shown(1, &dir).unwrap();
        assert_eq!(due(&first, AT_A_TERMINAL, Some(&dir)), (false, None));
        let second = Notice::new(2, "x");
        assert_eq!(due(&second, AT_A_TERMINAL, Some(&dir)), (true, None));
        mark_shown(2, &dir).unwrap();
        assert_eq!(due(&second, AT_A_TERMINAL, Some(&dir)), (false, None));
        let (shown, why) = due(&first, AT_A_TERMINAL, None);
        assert!(shown && why.unwrap().contains("every run"));
    }
}
