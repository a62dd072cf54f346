//! The warehouse's retention after it changed: the statements that give tables created with
//! another [`Config::retention_days`](crate::Config::retention_days) (or none) this file's TTL.
//! `CREATE TABLE IF NOT EXISTS` leaves an existing table's TTL as it was, and running
//! `MODIFY TTL` on every run would rewrite every part each time, so they end
//! `schemas/clickhouse.sql` as comments, to run once when the retention changes.

use std::fmt::Write as _;

use super::events::{EVENTS_KEPT_FROM, FAILED_KEPT_FROM};
use super::otel::OTEL_KEPT_FROM;
use super::target::{Kept, Target};

/// The retention block for `target`'s tables.
pub(crate) fn clickhouse(sql: &mut String, target: &Target) {
    let on = target.on_cluster();
    let tables = target
        .event_tables()
        .map(|table| (table, EVENTS_KEPT_FROM, Kept::Events))
        .chain([
            (
                target.stored("failed_events"),
                FAILED_KEPT_FROM,
                Kept::Failures,
            ),
            ("otel_traces".to_owned(), OTEL_KEPT_FROM, Kept::Events),
        ]);
    let _ = match target.retention {
        Some(_) => writeln!(
            sql,
            "\n-- Retention: a table keeps the TTL it was created with. After the retention changed, run\n\
             -- these once, each without its `-- `, to give the tables this file's: each rewrites its\n\
             -- table's parts once, as ClickHouse applies the new TTL to them, and deletes what it expires."
        ),
        None => writeln!(
            sql,
            "\n-- Retention: none, and a table keeps the TTL it was created with. To stop tables created\n\
             -- with a retention from deleting, run these once, each without its `-- ` (ClickHouse\n\
             -- refuses one for a table without a TTL)."
        ),
    };
    for (table, from, kept) in tables {
        let change = target.ttl(from, kept).map_or_else(
            || "REMOVE TTL".to_owned(),
            |ttl| format!("MODIFY TTL {ttl}"),
        );
        let _ = writeln!(sql, "-- ALTER TABLE {table}{on} {change};");
    }
}

#[cfg(test)]
mod tests {
    use super::clickhouse;
    use crate::Config;
    use crate::render::clickhouse::target::Target;

    fn render(config: &Config) -> String {
        let mut sql = String::new();
        clickhouse(&mut sql, &Target::of(config));
        sql
    }

    #[test]
    fn each_table_gets_the_ttl_it_is_created_with() {
        let sql = render(&Config::new("acme", "ACME").retention_days(90, 14));
        let statements: Vec<&str> = sql.lines().filter(|line| line.contains("ALTER")).collect();
        assert_eq!(
            statements,
            [
                "-- ALTER TABLE acme_events MODIFY TTL received + toIntervalDay(90);",
                "-- ALTER TABLE acme_events_load MODIFY TTL received + toIntervalDay(90);",
                "-- ALTER TABLE acme_failed_events MODIFY TTL toDateTime(receivedTime) + toIntervalDay(14);",
                "-- ALTER TABLE otel_traces MODIFY TTL toDateTime(Timestamp) + toIntervalDay(90);",
            ]
        );
    }

    #[test]
    fn without_a_retention_the_ttl_is_removed_and_on_a_cluster_from_each_shard() {
        let sql = render(&Config::new("acme", "ACME").clickhouse_cluster("analytics"));
        let statements: Vec<&str> = sql.lines().filter(|line| line.contains("ALTER")).collect();
        assert_eq!(
            statements,
            [
                "-- ALTER TABLE acme_events_local ON CLUSTER `analytics` REMOVE TTL;",
                "-- ALTER TABLE acme_failed_events_local ON CLUSTER `analytics` REMOVE TTL;",
                "-- ALTER TABLE otel_traces ON CLUSTER `analytics` REMOVE TTL;",
            ]
        );
    }
}
