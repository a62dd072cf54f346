//! Project automation: `cargo xtask schema [--check]` generates, or checks, werf's telemetry
//! files from the event types: schemas, example payloads, the catalogue, the docs and the
//! ClickHouse tables and views. `cargo xtask warehouse-variants DIR` writes werf's ClickHouse
//! SQL for the exporter's other layouts and for a cluster, for the warehouse checks.

use std::path::Path;

use telemetry_core::werf; // links werf's events, so that they register
use telemetry_schema::{Config, EventVersion, OtelTraces};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [command, dir] if command == "warehouse-variants" => match variants(Path::new(dir)) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                std::process::ExitCode::FAILURE
            }
        },
        _ => telemetry_schema::cli::main(config()),
    }
}

/// The generator's settings for werf.
fn config() -> Config {
    Config::new(werf::TOOL_NAME, werf::ENV_PREFIX)
        .group_channel(werf::GROUP_CHANNEL)
        .base_uri(werf::SCHEMAS_URI)
        .endpoint(werf::ENDPOINT)
        .span_name(werf::SPAN_NAME)
        .clickhouse()
        // werf's own words, from its documentation.
        .purpose(
            "werf collects usage data to improve its features and steer its development in the \
             right direction. It helps to figure out how werf is used and to focus on the features \
             that are most needed.",
        )
        // What werf's warehouse keeps, as TTL; its receivers run with the same
        // `--retain-days 90 --retain-failed-days 14`, its collector with `ttl: 2160h`.
        .retention_days(90, 14)
}

/// werf's `clickhouse.sql` for the exporter's bloom-filter and `json: true` layouts, for a
/// cluster, as `<variant>.sql` in `dir`: the same generator as
/// `schemas/clickhouse.sql`, with other settings.
fn variants(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let root = telemetry_schema::workspace_root()?;
    std::fs::create_dir_all(dir)?;
    let variants = [
        ("bloom", config().otel_traces(OtelTraces::BloomFilters)),
        ("json", config().otel_traces(OtelTraces::Json)),
        ("cluster", config().clickhouse_cluster("telemetry")),
    ];
    for (name, config) in variants {
        let code = EventVersion::registered(&config)?;
        let (files, _) = config.files(&root.join(config.out_dir_path()), code)?;
        let sql = files
            .get("schemas/clickhouse.sql")
            .ok_or("no clickhouse.sql generated")?;
        std::fs::write(dir.join(format!("{name}.sql")), sql)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// `cargo test --workspace` fails on drift, like `cargo xtask schema --check`.
    #[test]
    fn generated_files_are_up_to_date() {
        super::config().assert_up_to_date();
    }
}
