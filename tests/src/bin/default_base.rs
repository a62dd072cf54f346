//! Writes the generated files of werf's events under the default base of schema `$id`s
//! (`urn:acme:telemetry:`, a `Config` without `base_uri`) into the folder its one argument
//! names, for `tests/consumers/run` to check with the consumers' own tools: the repository's
//! own files have an `https://` base, and every base must load.

use std::process::ExitCode;

use telemetry_core::werf;
use telemetry_schema::sync::Mode;
use telemetry_schema::{Config, EventVersion};

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: default_base <folder>");
        return ExitCode::from(2);
    };
    let config = Config::new("acme", "ACME").group_channel(werf::GROUP_CHANNEL);
    let written = EventVersion::registered(&config)
        .and_then(|versions| config.sync(dir.as_ref(), versions, Mode::Write));
    match written {
        Ok(report) => {
            println!("{} files written", report.written.len());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
