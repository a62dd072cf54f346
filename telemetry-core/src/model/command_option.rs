//! [`CommandOption`]: one option of a command, by name, as werf's `CommandStarted` reports
//! them. With the `clap` feature, `telemetry_core::clap::command_options` lists a
//! command line's.

use serde::{Deserialize, Serialize};

/// One option of the command, by name: the value is never collected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, crate::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommandOption {
    /// The option's flag name, without leading dashes.
    pub name: String,
    /// Whether the option was set on the command line (werf always sends `false`).
    pub as_cli: bool,
    /// Whether the option was set through an environment variable (werf always sends `false`).
    pub as_env: bool,
    /// How many times the option was given (werf always sends `0`).
    pub count: u32,
}
