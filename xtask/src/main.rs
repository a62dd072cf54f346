//! Project automation: `cargo xtask schema [--check]`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("schema") {
        eprintln!(
            "cargo xtask schema: not implemented yet. It will write schemas/telemetry.schema.json, \
                 schemas/events/<EventType>.v<N>.schema.json, examples/<EventType>.v<N>.json and \
                 docs/telemetry.md from the registered events; with --check it will only compare."
        );
        ExitCode::FAILURE
    } else {
        eprintln!("usage: cargo xtask schema [--check]");
        ExitCode::from(2)
    }
}
