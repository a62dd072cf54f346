//! A clap command line's options, as werf's `CommandStarted` reports them (feature `clap`):
//! [`command_options`] lists every argument the user set, by name, never its value.
//!
//! ```
//! use clap::{Arg, ArgAction, Command};
//! use telemetry_core::CommandOption;
//!
//! let command = Command::new("acme")
//!     .arg(Arg::new("verbose").short('v').long("verbose").action(ArgAction::Count))
//!     .subcommand(
//!         Command::new("deploy")
//!             .arg(Arg::new("target").long("target"))
//!             .arg(Arg::new("dry-run").long("dry-run").action(ArgAction::SetTrue))
//!             .arg(Arg::new("retries").long("retries").default_value("3")),
//!     );
//! let matches = command
//!     .clone()
//!     .get_matches_from(["acme", "-vv", "--verbose", "deploy", "--target", "prod"]);
//! let options = telemetry_core::clap::command_options(&command, &matches);
//! assert_eq!(
//!     options,
//!     [
//!         CommandOption { name: "verbose".into(), as_cli: true, as_env: false, count: 3 },
//!         CommandOption { name: "target".into(), as_cli: true, as_env: false, count: 1 },
//!     ]
//! );
//! ```

use std::collections::BTreeSet;
use std::ffi::OsStr;

use ::clap::parser::ValueSource;
use ::clap::{ArgAction, ArgMatches, Command};

use crate::model::command_option::CommandOption;

/// Every argument of `command` (the command as defined: `Cli::command()` with clap's derive) that
/// the user set in `matches` (what it parsed), never a value:
///
/// - by its long name, or its id when it has none (a positional argument);
/// - `as_cli` when it was given on the command line, with `count` the times it was given there
///   (`-vv --verbose` is 3; an argument that overrides itself counts once, as clap keeps only the
///   last);
/// - `as_env` when its `env` variable is set in the environment (both when both, although clap
///   then takes the command line's value); given only there, `count` is 1;
/// - arguments left at their defaults are not listed;
/// - the command's own arguments first, then those of each subcommand chosen, each in the order
///   the command defines them.
pub fn command_options(command: &Command, matches: &ArgMatches) -> Vec<CommandOption> {
    options_in(command, matches, &|variable| {
        std::env::var_os(variable).is_some()
    })
}

/// [`command_options`], with `is_set` telling whether an environment variable is set.
fn options_in(
    command: &Command,
    matches: &ArgMatches,
    is_set: &dyn Fn(&OsStr) -> bool,
) -> Vec<CommandOption> {
    let mut options = Vec::new();
    let mut listed = BTreeSet::new();
    let mut level = Some((command, matches));
    while let Some((command, matches)) = level.take() {
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            // A global argument is listed once, where it is defined.
            if !listed.insert(id.to_owned()) {
                continue;
            }
            // `value_source` is only asked about an id the matches know: clap's debug builds
            // assert on any other.
            let as_cli = matches.ids().any(|known| known == id)
                && matches.value_source(id) == Some(ValueSource::CommandLine);
            let as_env = arg.get_env().is_some_and(is_set);
            if !as_cli && !as_env {
                continue;
            }
            let count = if !as_cli {
                1
            } else if matches!(arg.get_action(), ArgAction::Count) {
                u32::from(matches.get_count(id))
            } else {
                matches.get_raw_occurrences(id).map_or(1, |occurrences| {
                    u32::try_from(occurrences.count()).unwrap_or(u32::MAX)
                })
            };
            options.push(CommandOption {
                name: arg.get_long().unwrap_or(id).to_owned(),
                as_cli,
                as_env,
                count,
            });
        }
        level = matches.subcommand().and_then(|(name, sub_matches)| {
            command
                .find_subcommand(name)
                .map(|subcommand| (subcommand, sub_matches))
        });
    }
    options
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use ::clap::{Arg, ArgAction, Command};

    use super::options_in;
    use crate::model::command_option::CommandOption;

    fn command() -> Command {
        Command::new("demo")
            .arg(
                Arg::new("no-telemetry")
                    .long("no-telemetry")
                    .action(ArgAction::SetTrue)
                    .global(true),
            )
            .subcommand(
                Command::new("build")
                    .arg(
                        Arg::new("images")
                            .long("images")
                            .action(ArgAction::Append)
                            .default_value("1"),
                    )
                    .arg(
                        Arg::new("repo")
                            .long("repo")
                            .env("DEMO_REPO")
                            .action(ArgAction::Append),
                    )
                    .arg(Arg::new("fail").long("fail").action(ArgAction::Count))
                    .arg(Arg::new("target")),
            )
    }

    fn option(name: &str, as_cli: bool, as_env: bool, count: u32) -> CommandOption {
        CommandOption {
            name: name.into(),
            as_cli,
            as_env,
            count,
        }
    }

    #[test]
    fn names_and_how_given_never_values_nor_defaults() {
        let unset = |_: &OsStr| false;
        let command = command();
        let matches = command.clone().get_matches_from([
            "demo", "build", "--images", "2", "--images", "3", "--fail", "--fail", "prod",
        ]);
        assert_eq!(
            options_in(&command, &matches, &unset),
            [
                option("images", true, false, 2),
                option("fail", true, false, 2),
                option("target", true, false, 1)
            ]
        );
        let matches = command
            .clone()
            .get_matches_from(["demo", "--no-telemetry", "build"]);
        assert_eq!(
            options_in(&command, &matches, &unset),
            [option("no-telemetry", true, false, 1)]
        );
        let matches = command
            .clone()
            .get_matches_from(["demo", "build", "--no-telemetry"]);
        assert_eq!(
            options_in(&command, &matches, &unset),
            [option("no-telemetry", true, false, 1)]
        );
        let matches = command.clone().get_matches_from(["demo"]);
        assert_eq!(options_in(&command, &matches, &unset), []);
    }

    #[test]
    fn an_environment_variable_set_is_as_env_also_beside_the_command_line() {
        let set = |variable: &OsStr| variable == "DEMO_REPO";
        let command = command();
        let matches = command.clone().get_matches_from(["demo", "build"]);
        assert_eq!(
            options_in(&command, &matches, &set),
            [option("repo", false, true, 1)]
        );
        let matches = command
            .clone()
            .get_matches_from(["demo", "build", "--repo", "a", "--repo", "b"]);
        assert_eq!(
            options_in(&command, &matches, &set),
            [option("repo", true, true, 2)]
        );
    }
}
