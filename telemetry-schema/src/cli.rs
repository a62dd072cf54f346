//! A whole `cargo xtask schema`: another project's `xtask/src/main.rs` is
//!
//! ```no_run
//! # mod acme_events {}
//! use acme_events as _; // links the events so that they register
//! fn main() -> std::process::ExitCode {
//!     telemetry_schema::cli::main(telemetry_schema::Config::new("acme", "ACME"))
//! }
//! ```
//!
//! with `xtask = "run --package xtask --"` under `[alias]` in `.cargo/config.toml`.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use crate::config::Config;
use crate::run::workspace_root;
use crate::sync::{Mode, Report};

/// Exit code: everything up to date, or written.
const OK: u8 = 0;
/// Exit code: a file differs (`--check`), or the generator refused.
const FAILED: u8 = 1;
/// Exit code: the command line was not understood.
const USAGE: u8 = 2;

/// Runs `cargo xtask schema [--check]` for `config`: reads the command line, finds the
/// workspace root wherever it is run from, generates every file for the events the program
/// links, writes them (or checks them), prints what changed, and returns the exit code: 0 when
/// up to date or written, 1 on drift or when the generator refuses, 2 for a command line it
/// does not understand.
#[allow(
    clippy::needless_pass_by_value,
    reason = "`main(Config::new(..))` reads as the whole program; a reference would add noise"
)]
pub fn main(config: Config) -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let code = match workspace_root() {
        Ok(root) => run(
            &config,
            &args,
            &root,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        ),
        Err(error) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: cannot find the workspace root: {error}"
            );
            FAILED
        }
    };
    ExitCode::from(code)
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Schema(Mode),
    /// `schema --widen REASON`: write, correcting published versions that now accept more.
    Widen(String),
    Help,
}

/// [`main`] with its inputs and outputs given: the command line (without the program's name),
/// the workspace root, and where to print. Returns the exit code.
pub fn run(
    config: &Config,
    args: &[OsString],
    root: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let widened;
    let (config, mode) = match parse(args) {
        Ok(Command::Schema(mode)) => (config, mode),
        Ok(Command::Widen(reason)) => {
            widened = config.clone().widen(reason);
            (&widened, Mode::Write)
        }
        Ok(Command::Help) => {
            let _ = write!(out, "{}", usage(config));
            return OK;
        }
        Err(error) => {
            let _ = write!(err, "error: {error}\n\n{}", usage(config));
            return USAGE;
        }
    };
    match config.run(root, mode) {
        Ok(report) if report.problems.is_empty() => {
            print_success(&report, mode, out);
            OK
        }
        Ok(report) => {
            for problem in &report.problems {
                let _ = writeln!(err, "{problem}");
            }
            let _ = writeln!(err, "{}", report.summary(mode));
            FAILED
        }
        Err(error) => {
            let _ = writeln!(err, "error: {error}");
            FAILED
        }
    }
}

fn print_success(report: &Report, mode: Mode, out: &mut dyn Write) {
    for path in &report.written {
        let _ = writeln!(out, "wrote {path}");
    }
    for path in &report.removed {
        let _ = writeln!(out, "removed {path}");
    }
    let _ = match mode {
        Mode::Write => writeln!(
            out,
            "{} written, {} removed, {} up to date",
            report.written.len(),
            report.removed.len(),
            report.unchanged
        ),
        Mode::Check => writeln!(
            out,
            "all {} generated files are up to date",
            report.unchanged
        ),
    };
}

fn usage(config: &Config) -> String {
    let out_dir = config.out_dir_path().display().to_string();
    let under = if out_dir.is_empty() {
        String::new()
    } else {
        format!(" under {out_dir}/")
    };
    format!(
        "usage: cargo xtask schema [--check]\n\n  \
         schema           write the telemetry schemas, examples and docs of {tool}{under} from the event types\n  \
         schema --check   write nothing; fail when a generated file is missing, out of date or stray\n  \
         schema --widen REASON\n                   \
         write, correcting published versions that now accept more than they did (every payload\n                   \
         they accepted staying accepted) for REASON, which the catalogue records\n  \
         help, --help     print this message\n",
        tool = config.tool_name(),
    )
}

fn parse(args: &[OsString]) -> Result<Command, String> {
    let args: Vec<&str> = args
        .iter()
        .map(|arg| {
            arg.to_str()
                .ok_or_else(|| format!("argument `{}` is not UTF-8", arg.display()))
        })
        .collect::<Result<_, _>>()?;
    match args.as_slice() {
        ["schema"] => Ok(Command::Schema(Mode::Write)),
        ["schema", "--check"] => Ok(Command::Schema(Mode::Check)),
        ["schema", "--widen", reason] if !reason.trim().is_empty() => {
            Ok(Command::Widen((*reason).to_owned()))
        }
        ["schema", "--widen", ..] => {
            Err("`--widen` takes one reason: why the published versions accept more".into())
        }
        ["help" | "--help" | "-h"] | ["schema", "--help" | "-h"] => Ok(Command::Help),
        [] => Err("missing command".into()),
        ["schema", unknown, ..] => Err(format!("unknown argument `{unknown}` for `schema`")),
        [unknown, ..] => Err(format!("unknown command `{unknown}`")),
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::{Command, Mode, parse, run};
    use crate::Config;

    fn args(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn parses_the_command_line() {
        let parse = |list: &[&str]| parse(&args(list));
        assert_eq!(parse(&["schema"]), Ok(Command::Schema(Mode::Write)));
        assert_eq!(
            parse(&["schema", "--check"]),
            Ok(Command::Schema(Mode::Check))
        );
        assert_eq!(
            parse(&["schema", "--widen", "acme 1.4 sends it"]),
            Ok(Command::Widen("acme 1.4 sends it".into()))
        );
        for without_reason in [&["schema", "--widen"][..], &["schema", "--widen", " "]] {
            assert!(
                parse(without_reason)
                    .unwrap_err()
                    .contains("takes one reason")
            );
        }
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert_eq!(parse(&["schema", "-h"]), Ok(Command::Help));
        assert_eq!(parse(&[]), Err("missing command".into()));
        assert_eq!(
            parse(&["schema", "--chek"]),
            Err("unknown argument `--chek` for `schema`".into())
        );
        assert_eq!(parse(&["build"]), Err("unknown command `build`".into()));
    }

    /// Runs the command line against `root`; returns the exit code, stdout and stderr.
    fn cli(config: &Config, list: &[&str], root: &std::path::Path) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(config, &args(list), root, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn exit_codes_say_ok_drift_and_usage() {
        let root = tempfile::tempdir().unwrap();
        // With a group channel: whatever events this test binary links may send one.
        let config = Config::new("acme", "ACME")
            .out_dir("telemetry")
            .group_channel(telemetry_core::environment::EnvVar {
                name: "ACME_CHANNEL",
                purpose: telemetry_core::environment::GROUP_CHANNEL_PURPOSE,
            });

        let (code, _, err) = cli(&config, &["schema", "--frobnicate"], root.path());
        assert_eq!(code, 2);
        assert!(err.starts_with("error: unknown argument `--frobnicate` for `schema`\n\nusage:"));

        let (code, out, _) = cli(&config, &["--help"], root.path());
        assert_eq!(code, 0);
        assert!(out.contains("of acme under telemetry/"), "{out}");

        let (code, _, err) = cli(&config, &["schema", "--check"], root.path());
        assert_eq!(code, 1);
        assert!(
            err.contains("telemetry/docs/telemetry.md: missing"),
            "{err}"
        );
        assert!(
            err.ends_with("run `cargo xtask schema` to update them\n"),
            "{err}"
        );

        let (code, out, _) = cli(&config, &["schema"], root.path());
        assert_eq!(code, 0);
        assert!(
            out.contains("wrote telemetry/schemas/catalogue.json\n"),
            "{out}"
        );

        let (code, out, err) = cli(&config, &["schema", "--check"], root.path());
        assert_eq!((code, err.as_str()), (0, ""));
        assert!(out.starts_with("all "), "{out}");
    }
}
