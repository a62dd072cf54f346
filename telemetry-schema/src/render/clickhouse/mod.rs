//! The program's ClickHouse warehouse, `schemas/clickhouse.sql` ([`Config::clickhouse`]),
//! generated from the event versions like every other file, so that a type or a class is decided
//! once:
//!
//! - `<program>_events`: one row per event, taking a receiver's stored lines as they are
//!   (`INSERT INTO <program>_events FORMAT JSONEachRow`): the envelope, `attributes` and
//!   `eventData` as the JSON documents sent, and each event version's fields as typed columns
//!   computed at insert, so that a query reads them as from a hand-typed table;
//! - `<program>_failed_events`: a receiver's failure records, as they are, and the collector's
//!   spans whose envelope is not one;
//! - a view per event version, `<program>_<event_type in snake_case>_v<N>`, naming the envelope's
//!   columns, the scalars of `attributes` and every field of `eventData`, each column's comment
//!   its description, class and purpose; and `<program>_events_without_view`, the events of
//!   versions no view reads;
//! - the OpenTelemetry Collector's path: its exporter's `otel_traces` in the layout
//!   [`Config::otel_traces`] names, and materialized views from it into the two tables.
//!
//! Partitions and the retention ([`Config::retention_days`], as TTL) follow the day rows reached
//! the warehouse, never the client's clock; a block of rows inserted again (a file loaded twice,
//! an exporter's retried batch) is dropped, on one server as on a cluster
//! ([`Config::clickhouse_cluster`]). Tables are created `IF NOT EXISTS` and never dropped;
//! views are `CREATE OR REPLACE`, so running a regenerated file gives each its current
//! definition.
//!
//! [`Config::clickhouse`]: crate::Config::clickhouse
//! [`Config::otel_traces`]: crate::Config::otel_traces
//! [`Config::retention_days`]: crate::Config::retention_days
//! [`Config::clickhouse_cluster`]: crate::Config::clickhouse_cluster

mod erasure;
mod events;
mod fields;
mod otel;
mod sql;
mod target;
mod types;
mod views;

use std::fmt::Write as _;

pub use views::view_name;

use crate::config::Config;
use crate::model::version::EventVersion;
use crate::paths::GENERATED_MARKER;

/// The whole file, for `versions` of `config`'s program.
pub fn render(versions: &[EventVersion], config: &Config) -> String {
    let target = target::Target::of(config);
    let events = target.table("events");
    let mut sql = format!(
        "-- {GENERATED_MARKER}\n\
         -- ClickHouse tables and views of {tool}'s telemetry: run with\n\
         -- `clickhouse-client --multiquery < clickhouse.sql`, before the OpenTelemetry Collector\n\
         -- (its exporter with `create_schema: false`), and again after each regeneration: tables\n\
         -- are created if they do not exist and gain the columns of new versions, whose typed\n\
         -- columns take their current expressions for the rows inserted after; views are\n\
         -- replaced by their current definitions.\n\
         --\n\
         -- Load a receiver's day file in one command, its day (the start of the file's name) as\n\
         -- the rows' `received`, as one block: whole or not at all. Loaded again, on any day, it\n\
         -- counts each event once: the block carries the file's name and checksum as its\n\
         -- deduplication token, and a block inserted again is dropped while fewer than {window}\n\
         -- blocks were inserted into the table since (years of day files, but hours of a\n\
         -- collector's batches).\n\
         -- {DAY_FILE}; {load}\n\
         -- (`min_insert_block_size_rows=0` and `min_insert_block_size_bytes=268402944`: a block\n\
         -- ends at ClickHouse's default of 256 MiB of columns, whatever a profile sets, and never at\n\
         -- a count of rows; `input_format_skip_unknown_fields=0`: a key the envelope does not have\n\
         -- fails the load rather than being dropped.) A file over 200 MB may make several blocks,\n\
         -- which the insert's threads can make up differently on each try, so that a load that\n\
         -- failed part-way could, tried again, repeat some events and skip others. Split such a\n\
         -- file at line ends into pieces of at most 200 MB (each a block: a value's JSON outweighs\n\
         -- its column), named after it, each loaded by the same command, whole or not at all:\n\
         -- {DAY_FILE}; mkdir -p pieces; split -C 200M -d \"$f\" \"pieces/$(basename \"$f\").\"; \
         for f in \"pieces/$(basename \"$f\")\".[0-9]*; do {load}; done\n\
         -- Failure records, which carry their own time of receipt:\n\
         -- clickhouse-client --query 'INSERT INTO {failed} FORMAT JSONEachRow' < telemetry-data/failed/2026-12-02.jsonl\n",
        tool = config.tool_name(),
        window = target::DEDUPLICATION_WINDOW,
        load = load_command(&events, versions, target.cluster.is_some()),
        failed = target.table("failed_events"),
    );
    if let Some(cluster) = &target.cluster {
        let _ = writeln!(
            sql,
            "--\n-- For the cluster `{cluster}`: rows are stored in replicated `*_local` tables on each\n\
             -- shard and read and inserted through `Distributed` tables named as on one server;\n\
             -- insert with `distributed_foreground_insert = 1` (the load command above does), so\n\
             -- that a repeated block reaches the same shard and is dropped there."
        );
    }
    sql.push('\n');
    events::events_table(&mut sql, &target, versions);
    events::failed_table(&mut sql, &target);
    views::views(&mut sql, &target, versions);
    let uuid = events::envelope_types(events::newest(versions))
        .iter()
        .any(|(key, kind)| *key == "executionID" && kind == "UUID");
    otel::otel(&mut sql, &target, versions, uuid);
    erasure::clickhouse(&mut sql, &target);
    sql
}

/// The day file the load commands of the SQL's header take as their example.
const DAY_FILE: &str = "f=telemetry-data/events/2026-12-02.jsonl";

/// The shell command that loads the day file `$f` into `events` as one block, which is
/// inserted whole or not at all: the file's day (the first ten characters of its name, so that a
/// piece of it split off keeps it) as `received`, and the file's name and checksum (POSIX
/// `cksum`) as the insert's deduplication token, so that loading it again is a no-op whatever
/// the day. On a cluster the insert waits for the shards, so that a repeated block reaches the
/// shard that dropped it the first time.
fn load_command(events: &str, versions: &[EventVersion], cluster: bool) -> String {
    let envelope = events::envelope_types(events::newest(versions));
    let columns: Vec<&str> = envelope.iter().map(|(key, _)| *key).collect();
    let structure: Vec<String> = envelope
        .iter()
        .map(|(key, kind)| format!("{key} {kind}"))
        .collect();
    format!(
        "clickhouse-client \
         --param_received=\"$(basename \"$f\" | cut -c1-10)\" \
         --insert_deduplication_token=\"$(basename \"$f\") $(cksum < \"$f\")\" \
         --min_insert_block_size_rows=0 --min_insert_block_size_bytes=268402944 \
         --input_format_skip_unknown_fields=0{foreground} \
         --query \"INSERT INTO {events} ({columns}, received) SELECT *, {{received:Date}} \
         FROM input('{structure}') FORMAT JSONEachRow\" < \"$f\"",
        columns = columns.join(", "),
        structure = structure.join(", "),
        foreground = if cluster {
            " --distributed_foreground_insert=1"
        } else {
            ""
        },
    )
}

#[cfg(test)]
mod tests {
    use super::{load_command, view_name};

    #[test]
    fn the_load_command_gives_the_files_day_and_a_token_and_on_a_cluster_waits() {
        let one = load_command("acme_events", &[], false);
        assert!(one.starts_with("clickhouse-client "));
        assert!(one.contains("--param_received=\"$(basename \"$f\" | cut -c1-10)\""));
        assert!(
            one.contains(
                " --min_insert_block_size_rows=0 --min_insert_block_size_bytes=268402944 "
            )
        );
        assert!(
            one.contains("--insert_deduplication_token=\"$(basename \"$f\") $(cksum < \"$f\")\"")
        );
        assert!(one.contains("INSERT INTO acme_events (ts, executionID, "));
        assert!(one.contains(", received) SELECT *, {received:Date} FROM input('ts UInt64, "));
        assert!(one.ends_with("FORMAT JSONEachRow\" < \"$f\""));
        assert!(!one.contains("distributed_foreground_insert"));
        let cluster = load_command("acme_events", &[], true);
        assert!(cluster.contains(" --distributed_foreground_insert=1 "));
    }

    #[test]
    fn view_names() {
        assert_eq!(
            view_name("werf", "StageBuildFinished", 2),
            "werf_stage_build_finished_v2"
        );
        assert_eq!(view_name("my-tool", "A", 1), "my_tool_a_v1");
    }
}
