//! The warehouse's erasure: the statements that remove what one installation (its `userID`) or
//! one project (its `projectID`) sent from the generated tables and from the OpenTelemetry
//! Collector's `otel_traces`, as `telemetry-receiver forget` removes it from a receiver's files.
//! They end `schemas/clickhouse.sql` as comments, each with the ID as a query parameter, since
//! running the file must never erase anything.

use std::fmt::Write as _;

/// The erasure block for `program`'s tables, whose spans are named `span_name` (a SQL string
/// literal).
pub(crate) fn clickhouse(sql: &mut String, program: &str, span_name: &str) {
    let _ = writeln!(
        sql,
        "\n-- Erasure: what `telemetry-receiver forget` does to a receiver's files, done to these\n\
         -- tables and to the Collector's otel_traces. Running this file erases nothing: run the\n\
         -- statements of one block with the ID as a parameter, each without its `-- `:\n\
         -- clickhouse-client --param_id=ID --multiquery < statements.sql"
    );
    for (what, key) in [("an installation", "userID"), ("a project", "projectID")] {
        let id = "{id:String}";
        let statements = [
            format!("DELETE FROM {program}_events WHERE `{key}` = {id};"),
            format!(
                "DELETE FROM {program}_failed_events WHERE attributes['{key}'] = {id} OR \
                 position(envelope, concat('\"{key}\":\"', {id}, '\"')) > 0;"
            ),
            format!(
                "DELETE FROM otel_traces WHERE SpanName = {span_name} AND \
                 SpanAttributes['{key}'] = {id};"
            ),
        ];
        let _ = writeln!(sql, "-- Erase {what}, by its `{key}`:");
        for statement in statements {
            let _ = writeln!(sql, "-- {statement}");
        }
    }
}
