//! Whether this run shows the first-run notice: once per user and again when its version
//! changes, and only when someone is there to read it. The runtime never prints it: the host
//! program asks for it ([`Telemetry::notice`](crate::Telemetry::notice)) and shows it.
//!
//! It is due only when telemetry is on, no CI system runs the command, standard error is a
//! terminal (someone is there to read it), the user has not remembered `enable` (they know
//! already), and no run has shown this version. The run that shows it sends nothing: what is
//! collected is read before anything is sent.

use std::path::Path;

use super::config_dir;
use crate::runtime::context::notice::Notice;

/// The marker file of `notice`'s version in the configuration directory.
fn marker(notice: &Notice) -> String {
    format!("notice-shown-v{}", notice.version)
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
    match config_dir::claim(dir, &marker(notice)) {
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

    use super::{Circumstances, claim};
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
