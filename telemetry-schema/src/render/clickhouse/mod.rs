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
//! the warehouse, never the client's clock. A day file loaded again changes no count, on one
//! server (its rows replace the file's partition) as on a cluster ([`Config::clickhouse_cluster`],
//! where its block is dropped as a repeat), and neither does an exporter's retried batch. Tables
//! are created `IF NOT EXISTS` and never dropped; views are `CREATE OR REPLACE`, so running a
//! regenerated file gives each its current definition. A table keeps the TTL it was created with:
//! the file ends with the statements, as comments, that give it a changed retention, and those
//! that erase an installation's or a project's rows.
//!
//! [`Config::clickhouse`]: crate::Config::clickhouse
//! [`Config::otel_traces`]: crate::Config::otel_traces
//! [`Config::retention_days`]: crate::Config::retention_days
//! [`Config::clickhouse_cluster`]: crate::Config::clickhouse_cluster

mod erasure;
mod events;
mod fields;
mod otel;
mod retention;
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
         {loading}\
         -- Failure records, which carry their own time of receipt:\n\
         -- clickhouse-client --query 'INSERT INTO {failed} FORMAT JSONEachRow' < telemetry-data/failed/2026-12-02.jsonl\n",
        tool = config.tool_name(),
        loading = loading(&target, &events, versions),
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
    retention::clickhouse(&mut sql, &target);
    erasure::clickhouse(&mut sql, &target);
    sql
}

/// The day file the load commands of the SQL's header take as their example.
const DAY_FILE: &str = "f=telemetry-data/events/2026-12-02.jsonl";

/// The header's lines on loading a receiver's day files into `events`, each ending in a newline.
fn loading(target: &target::Target, events: &str, versions: &[EventVersion]) -> String {
    let insert = |table: &str| insert_query(table, versions);
    match target.load_table() {
        Some(load) => format!(
            "-- Load a receiver's day file in one command: its day (the start of the file's name) as\n\
             -- the rows' `received`, its host and path as their `source`. It fills {load} on two\n\
             -- threads, then puts the rows in place of the file's partition of {events} in one step:\n\
             -- a file of any size lands whole or not at all, and a file loaded again, on any day,\n\
             -- grown since or rewritten by `forget`, replaces what it loaded instead of adding to it.\n\
             -- Load a file again from where it was loaded (the same host and path), one load of a\n\
             -- file at a time; an empty file fails its load rather than erase what it loaded before.\n\
             -- {DAY_FILE}; {}\n\
             -- (`max_insert_threads=2`, `min_insert_block_size_rows=131072` and\n\
             -- `min_insert_block_size_bytes=0`: the insert types and writes two blocks at a time while\n\
             -- it parses the rest; `input_format_skip_unknown_fields=0`: a key the envelope does not\n\
             -- have fails the load rather than being dropped.)\n",
            replacing_load(events, &load, &insert(&load)),
        ),
        None => format!(
            "-- Load a receiver's day file in one command, its day (the start of the file's name) as\n\
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
             for f in \"pieces/$(basename \"$f\")\".[0-9]*; do {load}; done\n",
            window = target::DEDUPLICATION_WINDOW,
            load = token_load(&insert(events)),
        ),
    }
}

/// The query that inserts the day file's lines, read from standard input, into `table`: the
/// envelope's columns as they are, and the file's day and source, query parameters.
fn insert_query(table: &str, versions: &[EventVersion]) -> String {
    let envelope = events::envelope_types(events::newest(versions));
    let columns: Vec<&str> = envelope.iter().map(|(key, _)| *key).collect();
    let structure: Vec<String> = envelope
        .iter()
        .map(|(key, kind)| format!("{key} {kind}"))
        .collect();
    format!(
        "INSERT INTO {table} ({columns}, received, source) SELECT *, {{received:Date}}, {{source:String}} \
         FROM input('{structure}') FORMAT JSONEachRow",
        columns = columns.join(", "),
        structure = structure.join(", "),
    )
}

/// The day file `$f`'s day, in the shell: the first ten characters of its name, which a piece of it
/// split off keeps.
const FILE_DAY: &str = "\"$(basename \"$f\" | cut -c1-10)\"";
/// The day file `$f`'s source, in the shell: its host and absolute path, the same however it is
/// named on the command line.
const FILE_SOURCE: &str = "\"$(hostname):$(realpath \"$f\")\"";

/// The `clickhouse-client` options every call of a replacing load takes: the file's partition,
/// its day and its source, which the command sets once in `$d` and `$s`.
const PARTITION_PARAMS: &str = "--param_received=\"$d\" --param_source=\"$s\"";

/// The shell command that loads the day file `$f` into `events` through `load`, one server's
/// way: empty the file's partition of `load` (what a failed load left), fill it by `insert` on two
/// threads in blocks of 131,072 rows (the insert's threads then type the rows side by side), put
/// it in place of the file's partition of `events` (one step, which is refused for an empty
/// partition rather than erase the file's rows, whatever a profile or an older server's default
/// says), and empty it again. Each step runs only if the one before succeeded.
fn replacing_load(events: &str, load: &str, insert: &str) -> String {
    let partition = "({received:Date}, {source:String})";
    let drop = format!(
        "clickhouse-client {PARTITION_PARAMS} --query \"ALTER TABLE {load} DROP PARTITION {partition}\""
    );
    format!(
        "d={FILE_DAY}; s={FILE_SOURCE}; {drop} && \
         clickhouse-client {PARTITION_PARAMS} --max_insert_threads=2 \
         --min_insert_block_size_rows=131072 --min_insert_block_size_bytes=0 \
         --input_format_skip_unknown_fields=0 --query \"{insert}\" < \"$f\" && \
         clickhouse-client {PARTITION_PARAMS} --allow_replace_partition_from_empty_source=0 \
         --query \"ALTER TABLE {events} REPLACE PARTITION \
         {partition} FROM {load}\" && {drop}"
    )
}

/// The shell command that loads the day file `$f` by `insert` as one block, which is inserted
/// whole or not at all: the file's day as `received`, its source, and the file's name and
/// checksum (POSIX `cksum`) as the insert's deduplication token, so that loading it again is a
/// no-op whatever the day. It waits for the cluster's shards, so that a repeated block reaches the
/// shard that dropped it the first time.
fn token_load(insert: &str) -> String {
    format!(
        "clickhouse-client \
         --param_received={FILE_DAY} --param_source={FILE_SOURCE} \
         --insert_deduplication_token=\"$(basename \"$f\") $(cksum < \"$f\")\" \
         --min_insert_block_size_rows=0 --min_insert_block_size_bytes=268402944 \
         --input_format_skip_unknown_fields=0 --distributed_foreground_insert=1 \
         --query \"{insert}\" < \"$f\""
    )
}

#[cfg(test)]
mod tests {
    use super::{insert_query, replacing_load, token_load, view_name};

    #[test]
    fn the_insert_gives_the_files_day_and_source() {
        let insert = insert_query("acme_events_load", &[]);
        assert!(insert.starts_with("INSERT INTO acme_events_load (ts, executionID, "));
        assert!(insert.contains(
            ", received, source) SELECT *, {received:Date}, {source:String} FROM input('ts UInt64, "
        ));
        assert!(insert.ends_with("') FORMAT JSONEachRow"));
    }

    #[test]
    fn one_server_loads_into_the_load_table_then_replaces_the_files_partition() {
        let load = replacing_load("acme_events", "acme_events_load", "INSERT QUERY");
        let steps: Vec<&str> = load.split(" && ").collect();
        assert_eq!(steps.len(), 4, "{load}");
        assert!(steps[0].starts_with(
            "d=\"$(basename \"$f\" | cut -c1-10)\"; s=\"$(hostname):$(realpath \"$f\")\"; clickhouse-client "
        ));
        let empty = "--query \"ALTER TABLE acme_events_load DROP PARTITION ({received:Date}, {source:String})\"";
        assert!(steps[0].ends_with(empty) && steps[3].ends_with(empty));
        assert!(steps[1].contains(" --max_insert_threads=2 "));
        assert!(steps[1].ends_with(" --query \"INSERT QUERY\" < \"$f\""));
        assert!(steps[2].contains(" --allow_replace_partition_from_empty_source=0 "));
        assert!(steps[2].ends_with(
            "--query \"ALTER TABLE acme_events REPLACE PARTITION ({received:Date}, {source:String}) FROM acme_events_load\""
        ));
        for step in steps {
            assert!(
                step.contains("clickhouse-client --param_received=\"$d\" --param_source=\"$s\" ")
            );
        }
    }

    #[test]
    fn a_cluster_loads_one_block_with_a_token_and_waits() {
        let load = token_load("INSERT QUERY");
        assert!(load.starts_with("clickhouse-client "));
        assert!(load.contains("--param_received=\"$(basename \"$f\" | cut -c1-10)\""));
        assert!(
            load.contains(
                " --min_insert_block_size_rows=0 --min_insert_block_size_bytes=268402944 "
            )
        );
        assert!(
            load.contains("--insert_deduplication_token=\"$(basename \"$f\") $(cksum < \"$f\")\"")
        );
        assert!(load.contains(" --distributed_foreground_insert=1 "));
        assert!(load.ends_with(" --query \"INSERT QUERY\" < \"$f\""));
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
