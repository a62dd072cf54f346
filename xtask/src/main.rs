//! Project automation: `cargo xtask schema [--check]` generates, or checks, werf's telemetry
//! files from the event types: schemas, example payloads, the catalogue, the docs and the
//! ClickHouse tables and views.

use telemetry_core::werf; // links werf's events, so that they register

fn main() -> std::process::ExitCode {
    telemetry_schema::cli::main(config())
}

/// The generator's settings for werf.
fn config() -> telemetry_schema::Config {
    telemetry_schema::Config::new(werf::TOOL_NAME, werf::ENV_PREFIX)
        .group_channel(werf::GROUP_CHANNEL)
        .base_uri(werf::SCHEMAS_URI)
        .endpoint(werf::ENDPOINT)
        .span_name(werf::SPAN_NAME)
        .clickhouse()
}

#[cfg(test)]
mod tests {
    /// `cargo test --workspace` fails on drift, like `cargo xtask schema --check`.
    #[test]
    fn generated_files_are_up_to_date() {
        super::config().assert_up_to_date();
    }
}
