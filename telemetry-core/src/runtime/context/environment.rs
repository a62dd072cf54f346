//! The environment variables the runtime reads: one table, which the generated docs render, so
//! that docs and code cannot drift apart.
//!
//! Names are templates: `{PREFIX}` stands for the host program's prefix (`WERF` for werf).
//!
//! ```
//! use telemetry_core::environment;
//!
//! assert_eq!(environment::TELEMETRY.name_for("WERF"), "WERF_TELEMETRY");
//! assert!(environment::ALL.iter().any(|var| var.name == "DO_NOT_TRACK"));
//! ```

use crate::model::context::Attributes;

/// One environment variable the runtime reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    /// The name, with `{PREFIX}` for the host program's prefix; a trailing `<ANY>` stands for
    /// any suffix.
    pub name: &'static str,
    /// What it does, one or two sentences of Markdown; see [`purpose_for`](Self::purpose_for).
    pub purpose: &'static str,
}

impl EnvVar {
    /// The name with `{PREFIX}` replaced by `prefix`.
    pub fn name_for(&self, prefix: &str) -> String {
        self.name.replace("{PREFIX}", prefix)
    }

    /// What it does, with `{PREFIX}` and the limits of `attributes.extra` filled in.
    pub fn purpose_for(&self, prefix: &str) -> String {
        self.purpose
            .replace("{PREFIX}", prefix)
            .replace("{MAX_EXTRA}", &Attributes::MAX_EXTRA.to_string())
            .replace(
                "{MAX_EXTRA_KEY_CHARS}",
                &Attributes::MAX_EXTRA_KEY_CHARS.to_string(),
            )
            .replace(
                "{MAX_EXTRA_VALUE_CHARS}",
                &Attributes::MAX_EXTRA_VALUE_CHARS.to_string(),
            )
    }

    /// For a name ending in `<ANY>`: the part before it, with `{PREFIX}` replaced.
    pub fn name_prefix_for(&self, prefix: &str) -> Option<String> {
        self.name
            .strip_suffix("<ANY>")
            .map(|start| start.replace("{PREFIX}", prefix))
    }
}

/// Turns telemetry off.
pub const TELEMETRY: EnvVar = EnvVar {
    name: "{PREFIX}_TELEMETRY",
    purpose: "Set to `0`, `false`, `no` or `off` (in any case, whitespace around it ignored) to \
              disable telemetry: nothing is then computed, written or sent. Set to `local` for a \
              dry run: events are written to the log file only, and nothing is sent, not even a \
              connection attempted. Any other value leaves it on; an empty one is as unset.",
};

/// The cross-tool opt-out.
pub const DO_NOT_TRACK: EnvVar = EnvVar {
    name: "DO_NOT_TRACK",
    purpose: "Set to `1` or `true` (in any case, whitespace around it ignored) to disable \
              telemetry, as in every tool that honours the \
              [Console Do Not Track](https://consoledonottrack.com/) convention.",
};

/// The local JSON Lines log.
pub const LOG_FILE: EnvVar = EnvVar {
    name: "{PREFIX}_TELEMETRY_LOG_FILE",
    purpose: "Path of a file to append every event to, one JSON document per line, exactly as \
              it is sent; lines about delivery problems carry a `diagnostic` key instead. The \
              file is created readable by its owner only (mode 0600), an existing one that others \
              can read is made so, and a symlink at the file itself is never followed (symlinked \
              folders above it are, as `/tmp` is a link on some systems). It is never one of \
              telemetry's own files (see the configuration directory). A path that cannot be \
              written changes nothing for the command.",
};

/// Additional attributes, whatever the user sets.
pub const EXTRA_ATTRIBUTE: EnvVar = EnvVar {
    name: "{PREFIX}_TELEMETRY_EXTRA_ATTRIBUTE_<ANY>",
    purpose: "A `key=value` pair to add to `attributes.extra`; the name's suffix is ignored, the \
              value is split at the first `=`, and a value without `=` is skipped. Variables are \
              read in name order, so a later duplicate key wins. At most {MAX_EXTRA} keys are \
              kept, keys of up to {MAX_EXTRA_KEY_CHARS} and values of up to \
              {MAX_EXTRA_VALUE_CHARS} characters; longer ones are skipped.",
};

/// The endpoint override.
pub const TRACE_URL: EnvVar = EnvVar {
    name: "{PREFIX}_TELEMETRY_TRACE_URL",
    purpose: "The OTLP/HTTP endpoint to send events to instead of the built-in one, for local \
              testing. It must be `https://`, except on a loopback address.",
};

/// Where telemetry keeps its files.
pub const CONFIG_DIR: EnvVar = EnvVar {
    name: "{PREFIX}_TELEMETRY_CONFIG_DIR",
    purpose: "An absolute path of the folder telemetry keeps its files in, each readable by its \
              owner only and never sent: `choice`, the remembered `enable` or `disable`; \
              `installation-id`, when the program sends one; `notice-shown-v<N>`, that the \
              first-run notice was shown; and `hash-key`, the secret keyed hashes are made with, \
              made the first time an event has a hashed field (when it can be neither read nor \
              stored, each run uses a secret of its own). By default `<program>/telemetry` in the \
              user's configuration folder (`$XDG_CONFIG_HOME` or `~/.config` on Linux, \
              `~/Library/Application Support` on macOS, `%APPDATA%` on Windows). A relative path \
              is refused: telemetry then keeps no file, and `enable`, `disable` and `reset` \
              fail. As git trusts a repository, the files are trusted only when the folder and \
              the file are the user's and no one else can write them (on unix); otherwise they \
              are ignored and nothing is written there.",
};

/// Whether a CI system runs the command.
pub const CI: EnvVar = EnvVar {
    name: "CI",
    purpose: "`1`, `true` or `yes` (in any case) sets `attributes.ci`; so does any CI system \
              detected from its own variables, which also sets `attributes.ciName`.",
};

/// Every variable, in the order the docs list them.
pub const ALL: &[EnvVar] = &[
    TELEMETRY,
    DO_NOT_TRACK,
    LOG_FILE,
    EXTRA_ATTRIBUTE,
    TRACE_URL,
    CONFIG_DIR,
    CI,
];

/// What the group-channel variable, when a program names one
/// ([`Settings::group_channel_variable`](crate::Settings::group_channel_variable)), does; werf's
/// preset gives its own words.
pub const GROUP_CHANNEL_PURPOSE: &str = "The release channel the tool was installed from; copied into \
    `attributes.groupChannel` when not empty (a value of more than {MAX_EXTRA_VALUE_CHARS} \
    characters is ignored).";

#[cfg(test)]
mod tests {
    use super::{ALL, EXTRA_ATTRIBUTE, TELEMETRY};

    #[test]
    fn names_expand_the_prefix() {
        assert_eq!(TELEMETRY.name_for("MYTOOL"), "MYTOOL_TELEMETRY");
        assert_eq!(
            EXTRA_ATTRIBUTE.name_prefix_for("WERF").as_deref(),
            Some("WERF_TELEMETRY_EXTRA_ATTRIBUTE_")
        );
        assert_eq!(TELEMETRY.name_prefix_for("WERF"), None);
    }

    #[test]
    fn purposes_state_the_real_limits() {
        let purpose = EXTRA_ATTRIBUTE.purpose_for("WERF");
        assert!(purpose.contains(&format!(
            "At most {} keys",
            crate::model::context::Attributes::MAX_EXTRA
        )));
        assert!(!purpose.contains('{'));
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = ALL.iter().map(|var| var.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
