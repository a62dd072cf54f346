//! Project automation: `cargo xtask schema [--check]` generates, or checks, every artefact made
//! from the event types: schemas, example payloads and the human docs.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

// The catalog's events register themselves when this crate is linked.
use telemetry_core as _;
use telemetry_schema::docs::Tool;
use telemetry_schema::sync::{Mode, Report};

const USAGE: &str = "\
usage: cargo xtask schema [--check]

  schema           write schemas/, examples/ and docs/telemetry.md from the event types
  schema --check   write nothing; fail when a generated file is missing, out of date or stray
  help, --help     print this message
";

/// The program the generated docs are about.
const TOOL: Tool<'static> = Tool {
    name: "werf",
    env_prefix: "WERF",
};

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Schema(Mode),
    Help,
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
        ["help" | "--help" | "-h"] | ["schema", "--help" | "-h"] => Ok(Command::Help),
        [] => Err("missing command".into()),
        ["schema", unknown, ..] => Err(format!("unknown argument `{unknown}` for `schema`")),
        [unknown, ..] => Err(format!("unknown command `{unknown}`")),
    }
}

/// The repository root: `cargo run` sets `CARGO_MANIFEST_DIR` to `xtask/`.
fn repository_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map_or(manifest_dir.clone(), PathBuf::from)
}

/// Generates every artefact and writes or checks it under `root`.
fn schema(root: &std::path::Path, mode: Mode) -> Result<Report, String> {
    telemetry_schema::run(root, &TOOL, mode).map_err(|error| error.to_string())
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let mode = match parse(&args) {
        Ok(Command::Schema(mode)) => mode,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprint!("error: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match schema(&repository_root(), mode) {
        Ok(report) if report.problems.is_empty() => {
            for path in &report.written {
                println!("wrote {path}");
            }
            for path in &report.removed {
                println!("removed {path}");
            }
            match mode {
                Mode::Write => println!(
                    "{} written, {} removed, {} up to date",
                    report.written.len(),
                    report.removed.len(),
                    report.unchanged
                ),
                Mode::Check => println!("all {} generated files are up to date", report.unchanged),
            }
            ExitCode::SUCCESS
        }
        Ok(report) => {
            for problem in &report.problems {
                eprintln!("{problem}");
            }
            eprintln!(
                "{} generated file(s) are not up to date; run `cargo xtask schema` to update them",
                report.problems.len()
            );
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::{Command, Mode, parse, repository_root, schema};

    /// `cargo test --workspace` fails on drift, like `cargo xtask schema --check`.
    #[test]
    fn generated_files_are_up_to_date() {
        let report = schema(&repository_root(), Mode::Check).unwrap();
        let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert!(
            problems.is_empty(),
            "{}\nrun `cargo xtask schema` to update them",
            problems.join("\n")
        );
    }

    #[test]
    fn parses_the_command_line() {
        let parse = |args: &[&str]| parse(&args.iter().map(OsString::from).collect::<Vec<_>>());
        assert_eq!(parse(&["schema"]), Ok(Command::Schema(Mode::Write)));
        assert_eq!(
            parse(&["schema", "--check"]),
            Ok(Command::Schema(Mode::Check))
        );
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert_eq!(parse(&["schema", "-h"]), Ok(Command::Help));
        assert_eq!(parse(&[]), Err("missing command".into()));
        assert_eq!(
            parse(&["schema", "--chek"]),
            Err("unknown argument `--chek` for `schema`".into())
        );
        assert_eq!(parse(&["build"]), Err("unknown command `build`".into()));
    }
}
