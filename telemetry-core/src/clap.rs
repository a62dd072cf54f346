//! A clap command line's options, as werf's `CommandStarted` reports them (feature `clap`):
//! [`command_options`] lists every option the user gave, by the name the user can type, never
//! its value.
//!
//! What the user typed is read from the command line itself: clap keeps only the last of
//! options that override each other (`-H --no-hidden`, `overrides_with`, `args_override_self`),
//! so its matches alone would lose the others.
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
//! let args = ["acme", "-vv", "--verbose", "deploy", "--target", "prod"];
//! let matches = command.clone().get_matches_from(args);
//! // A program reads its own command line: `command_options(&command, &matches)`.
//! let options = telemetry_core::clap::command_options_from(&command, &matches, args, false);
//! assert_eq!(
//!     options,
//!     [
//!         CommandOption { name: "verbose".into(), as_cli: true, as_env: false, count: 3 },
//!         CommandOption { name: "target".into(), as_cli: true, as_env: false, count: 1 },
//!     ]
//! );
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};

use ::clap::parser::ValueSource;
use ::clap::{Arg, ArgAction, ArgMatches, Command};

use crate::model::command_option::CommandOption;

/// Every option of `command` (the command as defined: `Cli::command()` with clap's derive) that
/// the user gave this process ([`std::env::args_os`], which `matches` was parsed from), never a
/// value: [`command_options_from`] of the process's own command line, without positional
/// arguments.
///
/// With clap's derive, keep clap's own parsing, errors and exit codes, and take the command
/// and the matches from it:
///
/// ```no_run
/// use clap::{CommandFactory as _, FromArgMatches as _, Parser};
///
/// #[derive(Parser)]
/// struct Opts {
///     #[arg(short = 'H', long, overrides_with = "no_hidden")]
///     hidden: bool,
///     #[arg(long)]
///     no_hidden: bool,
/// }
///
/// let command = Opts::command();
/// let matches = command.clone().get_matches(); // clap's errors and exit codes, unchanged
/// let opts = Opts::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
/// let options = telemetry_core::clap::command_options(&command, &matches);
/// # let _ = (opts.hidden, opts.no_hidden, options);
/// ```
pub fn command_options(command: &Command, matches: &ArgMatches) -> Vec<CommandOption> {
    command_options_from(command, matches, std::env::args_os(), false)
}

/// Every option of `command` that the user gave on the command line `args` (the program's name
/// first), which `matches` was parsed from, never a value:
///
/// - by the name the user can type: its long name, or a short-only option's short
///   (`-1` is `1`); a positional argument, only when `positionals` says, by its id;
/// - `as_cli` when it was given on the command line, with `count` the times it was given there,
///   options that a later one overrode and that override themselves included (`-vv --verbose`
///   is 3; `-H --no-hidden` lists both, once each);
/// - `as_env` when its `env` variable is set in the environment (both when both, although clap
///   then takes the command line's value); given only there, `count` is 1;
/// - options left at their defaults are not listed;
/// - the command's own options first, then those of each subcommand chosen, each in the order
///   the command defines them.
///
/// When `args` is not what `matches` was parsed from (clap parses `args` again to tell), only
/// what `matches` kept is listed: the last of options that override each other.
pub fn command_options_from<I, T>(
    command: &Command,
    matches: &ArgMatches,
    args: I,
    positionals: bool,
) -> Vec<CommandOption>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let is_set = |variable: &OsStr| std::env::var_os(variable).is_some();
    options_from(command, matches, &args, (positionals, &is_set))
}

/// [`command_options_from`], with `is_set` telling whether an environment variable is set.
fn options_from(
    command: &Command,
    matches: &ArgMatches,
    args: &[OsString],
    (positionals, is_set): (bool, &dyn Fn(&OsStr) -> bool),
) -> Vec<CommandOption> {
    let typed = command
        .clone()
        .try_get_matches_from(args)
        .ok()
        .filter(|parsed| parsed == matches)
        .map(|_| typed(command, args));
    let mut options = options_in(command, matches, is_set, typed.as_ref());
    if !positionals {
        options.retain(|(arg_is_positional, _)| !arg_is_positional);
    }
    options.into_iter().map(|(_, option)| option).collect()
}

/// How many times each argument, by its id, was typed in `args`: every `--long`, every short
/// of a cluster (`-abc`), every positional value; what an option takes as its value skipped.
fn typed(command: &Command, args: &[OsString]) -> BTreeMap<String, u32> {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut count = |arg: &Arg| *counts.entry(arg.get_id().as_str().to_owned()).or_default() += 1;
    let mut current = command;
    // Global arguments of the commands above, which subcommands take too.
    let mut globals: Vec<&Arg> = Vec::new();
    let mut positional = 0;
    let mut tokens = args.iter().skip(1);
    while let Some(token) = tokens.next() {
        let text = token.to_string_lossy();
        let find = |matches: &dyn Fn(&Arg) -> bool| {
            current
                .get_arguments()
                .chain(globals.iter().copied())
                .find(|arg| !arg.is_positional() && matches(arg))
        };
        if text == "--" {
            // Everything after is positional.
            for _ in tokens.by_ref() {
                if let Some(arg) = nth_positional(current, positional) {
                    count(arg);
                }
                positional += 1;
            }
            break;
        }
        if let Some(long) = text.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((name, _)) => (name, true),
                None => (long, false),
            };
            if let Some(arg) = find(&|arg| {
                arg.get_long() == Some(name)
                    || arg
                        .get_all_aliases()
                        .is_some_and(|aliases| aliases.contains(&name))
            }) {
                count(arg);
                if !value {
                    skip_values(arg, &mut tokens);
                }
            }
            continue;
        }
        if let Some(cluster) = text.strip_prefix('-').filter(|cluster| !cluster.is_empty()) {
            for (index, short) in cluster.char_indices() {
                let Some(arg) = find(&|arg| {
                    arg.get_short() == Some(short)
                        || arg
                            .get_all_short_aliases()
                            .is_some_and(|aliases| aliases.contains(&short))
                }) else {
                    continue;
                };
                count(arg);
                if takes_values(arg) {
                    // The rest of the cluster is its value; or, when none is left, what follows.
                    if index + short.len_utf8() == cluster.len() {
                        skip_values(arg, &mut tokens);
                    }
                    break;
                }
            }
            continue;
        }
        if let Some(subcommand) = current.find_subcommand(token) {
            globals.extend(current.get_arguments().filter(|arg| arg.is_global_set()));
            current = subcommand;
            positional = 0;
            continue;
        }
        if let Some(arg) = nth_positional(current, positional) {
            count(arg);
        }
        positional += 1;
    }
    counts
}

/// Whether `arg` takes a value after its name.
fn takes_values(arg: &Arg) -> bool {
    arg.get_action().takes_values()
        && arg
            .get_num_args()
            .is_none_or(|range| range.max_values() > 0)
}

/// Skips the values `arg` takes from `tokens`: one, or for an option of several values, those
/// that follow until the next option.
fn skip_values<'a>(arg: &Arg, tokens: &mut (impl Iterator<Item = &'a OsString> + Clone)) {
    if !takes_values(arg) || arg.is_require_equals_set() {
        return;
    }
    let most = arg.get_num_args().map_or(1, |range| range.max_values());
    for taken in 0..most {
        let mut ahead = tokens.clone();
        match ahead.next() {
            Some(next) if taken == 0 || !next.to_string_lossy().starts_with('-') => {
                tokens.next();
            }
            _ => break,
        }
    }
}

/// The positional argument that the `index`th positional value of `command` goes to (the last
/// one takes the rest when it takes many).
fn nth_positional(command: &Command, index: usize) -> Option<&Arg> {
    let positionals: Vec<&Arg> = command.get_positionals().collect();
    positionals.get(index).copied().or_else(|| {
        positionals.last().copied().filter(|arg| {
            arg.get_num_args()
                .is_some_and(|range| range.max_values() > 1)
                || matches!(arg.get_action(), ArgAction::Append)
        })
    })
}

/// [`command_options`], with `is_set` telling whether an environment variable is set, and
/// `typed` how many times each argument was typed (`None` to count what `matches` kept): each
/// with whether it is positional.
fn options_in(
    command: &Command,
    matches: &ArgMatches,
    is_set: &dyn Fn(&OsStr) -> bool,
    typed: Option<&BTreeMap<String, u32>>,
) -> Vec<(bool, CommandOption)> {
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
            let as_env = arg.get_env().is_some_and(is_set);
            let (as_cli, count) = match typed {
                Some(typed) => typed.get(id).map_or((false, 1), |count| (true, *count)),
                None => kept(matches, arg),
            };
            if !as_cli && !as_env {
                continue;
            }
            let name = match (arg.get_long(), arg.get_short()) {
                (Some(long), _) => long.to_owned(),
                (None, Some(short)) => short.to_string(),
                (None, None) => id.to_owned(),
            };
            options.push((
                arg.is_positional(),
                CommandOption {
                    name,
                    as_cli,
                    as_env,
                    count: if as_cli { count } else { 1 },
                },
            ));
        }
        level = matches.subcommand().and_then(|(name, sub_matches)| {
            command
                .find_subcommand(name)
                .map(|subcommand| (subcommand, sub_matches))
        });
    }
    options
}

/// Whether `arg` was given on the command line by what `matches` kept, and how many times.
fn kept(matches: &ArgMatches, arg: &Arg) -> (bool, u32) {
    let id = arg.get_id().as_str();
    // `value_source` is only asked about an id the matches know: clap's debug builds assert on
    // any other.
    let as_cli = matches.ids().any(|known| known == id)
        && matches.value_source(id) == Some(ValueSource::CommandLine);
    let count = if !as_cli {
        1
    } else if matches!(arg.get_action(), ArgAction::Count) {
        u32::from(matches.get_count(id))
    } else {
        matches.get_raw_occurrences(id).map_or(1, |occurrences| {
            u32::try_from(occurrences.count()).unwrap_or(u32::MAX)
        })
    };
    (as_cli, count)
}

#[cfg(test)]
mod tests {
    use std::ffi::{OsStr, OsString};

    use ::clap::{Arg, ArgAction, Command};

    use super::{options_from, options_in};
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

    /// The options of `command` given `args`, positional ones when `positionals` says.
    fn given(
        command: &Command,
        args: &[&str],
        positionals: bool,
        is_set: &dyn Fn(&OsStr) -> bool,
    ) -> Vec<CommandOption> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let matches = command.clone().get_matches_from(&args);
        options_from(command, &matches, &args, (positionals, is_set))
    }

    #[test]
    fn names_and_how_given_never_values_nor_defaults() {
        let unset = |_: &OsStr| false;
        let command = command();
        let args = [
            "demo", "build", "--images", "2", "--images", "3", "--fail", "--fail", "prod",
        ];
        assert_eq!(
            given(&command, &args, true, &unset),
            [
                option("images", true, false, 2),
                option("fail", true, false, 2),
                option("target", true, false, 1)
            ]
        );
        // Positional arguments only when asked for.
        assert_eq!(
            given(&command, &args, false, &unset),
            [
                option("images", true, false, 2),
                option("fail", true, false, 2)
            ]
        );
        assert_eq!(
            given(
                &command,
                &["demo", "--no-telemetry", "build"],
                false,
                &unset
            ),
            [option("no-telemetry", true, false, 1)]
        );
        assert_eq!(
            given(
                &command,
                &["demo", "build", "--no-telemetry"],
                false,
                &unset
            ),
            [option("no-telemetry", true, false, 1)]
        );
        assert_eq!(given(&command, &["demo"], false, &unset), []);
    }

    #[test]
    fn an_environment_variable_set_is_as_env_also_beside_the_command_line() {
        let set = |variable: &OsStr| variable == "DEMO_REPO";
        let command = command();
        assert_eq!(
            given(&command, &["demo", "build"], false, &set),
            [option("repo", false, true, 1)]
        );
        assert_eq!(
            given(
                &command,
                &["demo", "build", "--repo", "a", "--repo", "b"],
                false,
                &set
            ),
            [option("repo", true, true, 2)]
        );
    }

    /// fd's way: flags that override each other and themselves, short-only flags, bundled
    /// shorts, options with values, positionals.
    fn fd() -> Command {
        Command::new("fd")
            .args_override_self(true)
            .arg(
                Arg::new("hidden")
                    .short('H')
                    .long("hidden")
                    .action(ArgAction::SetTrue)
                    .overrides_with("no-hidden"),
            )
            .arg(
                Arg::new("no-hidden")
                    .long("no-hidden")
                    .action(ArgAction::SetTrue)
                    .overrides_with("hidden"),
            )
            .arg(
                Arg::new("case-sensitive")
                    .short('s')
                    .long("case-sensitive")
                    .action(ArgAction::SetTrue)
                    .overrides_with("ignore-case"),
            )
            .arg(
                Arg::new("ignore-case")
                    .short('i')
                    .long("ignore-case")
                    .action(ArgAction::SetTrue)
                    .overrides_with("case-sensitive"),
            )
            .arg(
                Arg::new("max-results")
                    .long("max-results")
                    .value_name("count")
                    .overrides_with("max_one_result"),
            )
            .arg(
                Arg::new("max_one_result")
                    .short('1')
                    .action(ArgAction::SetTrue)
                    .overrides_with("max-results"),
            )
            .arg(
                Arg::new("extension")
                    .short('e')
                    .long("extension")
                    .action(ArgAction::Append),
            )
            .arg(Arg::new("pattern"))
            .arg(Arg::new("path").action(ArgAction::Append))
    }

    #[test]
    fn every_option_typed_counts_overridden_and_self_overriding_included() {
        let unset = |_: &OsStr| false;
        let fd = fd();
        let cases: &[(&[&str], &[(&str, u32)])] = &[
            (
                &["fd", "-H", "--no-hidden"],
                &[("hidden", 1), ("no-hidden", 1)],
            ),
            (
                &["fd", "-s", "-i"],
                &[("case-sensitive", 1), ("ignore-case", 1)],
            ),
            (
                &["fd", "--max-results", "3", "-1"],
                &[("max-results", 1), ("1", 1)],
            ),
            (&["fd", "-H", "-H", "-H"], &[("hidden", 3)]),
            // Bundled shorts; a short taking its value in the bundle or after it.
            (
                &["fd", "-Hie", "rs", "x"],
                &[("hidden", 1), ("ignore-case", 1), ("extension", 1)],
            ),
            (&["fd", "-ers", "-e", "md"], &[("extension", 2)]),
            (
                &["fd", "--extension=rs", "-1H"],
                &[("hidden", 1), ("extension", 1), ("1", 1)],
            ),
            // After `--`, nothing is an option.
            (&["fd", "--", "-H"], &[]),
        ];
        for (args, expected) in cases {
            let mut expected: Vec<CommandOption> = expected
                .iter()
                .map(|(name, count)| option(name, true, false, *count))
                .collect();
            let mut got = given(&fd, args, false, &unset);
            got.sort_by(|a, b| a.name.cmp(&b.name));
            expected.sort_by(|a, b| a.name.cmp(&b.name));
            assert_eq!(got, expected, "{args:?}");
        }
        // Positional arguments when asked for, each by its id.
        let names: Vec<String> = given(&fd, &["fd", "-H", "main", "src", "tests"], true, &unset)
            .into_iter()
            .map(|option| format!("{}×{}", option.name, option.count))
            .collect();
        assert_eq!(names, ["hidden×1", "pattern×1", "path×2"]);
    }

    #[test]
    fn a_command_line_other_than_the_matches_counts_what_the_matches_kept() {
        let unset = |_: &OsStr| false;
        let fd = fd();
        let matches = fd.clone().get_matches_from(["fd", "-H", "--no-hidden"]);
        let other: Vec<OsString> = ["test-binary", "--nocapture"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(
            options_from(&fd, &matches, &other, (false, &unset)),
            [option("no-hidden", true, false, 1)]
        );
        assert_eq!(
            options_in(&fd, &matches, &unset, None)
                .into_iter()
                .map(|(_, option)| option)
                .collect::<Vec<_>>(),
            [option("no-hidden", true, false, 1)]
        );
    }
}
