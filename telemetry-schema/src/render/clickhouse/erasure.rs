//! The warehouse's erasure: the statements that remove what one installation (its `userID`) or
//! one project (its `projectID`) sent from the generated tables and from the OpenTelemetry
//! Collector's `otel_traces`, as `telemetry-receiver forget` removes it from a receiver's files.
//! They end `schemas/clickhouse.sql` as comments, each with the ID as a query parameter, since
//! running the file must never erase anything.

use std::fmt::Write as _;

use super::otel::Attributes;
use super::target::Target;

/// The erasure block for `target`'s tables.
pub(crate) fn clickhouse(sql: &mut String, target: &Target) {
    let _ = writeln!(
        sql,
        "\n-- Erasure: what `telemetry-receiver forget` does to a receiver's files, done to these\n\
         -- tables and to the Collector's otel_traces. Running this file erases nothing: run the\n\
         -- statements of one block with the ID as a parameter, each without its `-- `:\n\
         -- clickhouse-client --param_id=ID --multiquery < statements.sql"
    );
    let on = target.on_cluster();
    let read = Attributes(target.otel);
    for (what, key) in [("an installation", "userID"), ("a project", "projectID")] {
        let id = "{id:String}";
        let statements = target
            .event_tables()
            .map(|table| format!("DELETE FROM {table}{on} WHERE `{key}` = {id};"));
        let statements = statements.chain([
            format!(
                "DELETE FROM {}{on} WHERE attributes['{key}'] = {id} OR \
                 position(envelope, concat('\"{key}\":\"', {id}, '\"')) > 0;",
                target.stored("failed_events")
            ),
            format!(
                "DELETE FROM otel_traces{on} WHERE SpanName = {} AND {} = {id};",
                target.span_name,
                read.value(key)
            ),
        ]);
        let _ = writeln!(sql, "-- Erase {what}, by its `{key}`:");
        for statement in statements {
            let _ = writeln!(sql, "-- {statement}");
        }
    }
}
