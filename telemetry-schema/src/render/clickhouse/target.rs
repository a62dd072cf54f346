//! Where the warehouse's statements run: one server or a cluster, the exporter's layout of
//! `otel_traces`, the retention; and the names and engines that follow from them.

use super::sql::{identifier_part, quoted_identifier, string};
use crate::config::{Config, OtelTraces};

/// How many of the blocks last inserted into a stored table it remembers, to drop a block
/// inserted again: ClickHouse's default for replicated tables. A collector's retried batch, or on
/// a cluster a day's file loaded again, counts once while fewer blocks were inserted since: about
/// 14 hours of a collector's batches (one each 5 seconds), or 27 years of day files.
pub(crate) const DEDUPLICATION_WINDOW: u32 = 10_000;

/// Ten years, in seconds: a replicated table's remembered blocks outlive any retention.
const TEN_YEARS: u64 = 10 * 365 * 86_400;

/// Which of the two retentions of [`Target::retention`] a table follows.
#[derive(Clone, Copy)]
pub(crate) enum Kept {
    /// The events' (and the collector's spans').
    Events,
    /// The failure records'.
    Failures,
}

/// What the statements depend on besides the event versions.
pub(crate) struct Target {
    /// The program's name as part of an identifier: `werf`.
    pub(crate) program: String,
    /// The cluster's name, for `ON CLUSTER`, replicated and `Distributed` tables.
    pub(crate) cluster: Option<String>,
    /// The layout of the exporter's `otel_traces`.
    pub(crate) otel: OtelTraces,
    /// Days events and failure records are kept after they are received.
    pub(crate) retention: Option<(u32, u32)>,
    /// The program's span name, a SQL literal.
    pub(crate) span_name: String,
}

impl Target {
    pub(crate) fn of(config: &Config) -> Self {
        Target {
            program: identifier_part(config.tool_name()),
            cluster: config.clickhouse_cluster_name().map(str::to_owned),
            otel: config.otel_traces_layout(),
            retention: config.retention(),
            span_name: string(&config.resolved_span_name()),
        }
    }

    /// `ON CLUSTER` and the cluster's name, after a leading space, on a cluster; nothing on one
    /// server.
    pub(crate) fn on_cluster(&self) -> String {
        self.cluster
            .as_deref()
            .map(|name| format!(" ON CLUSTER {}", quoted_identifier(name)))
            .unwrap_or_default()
    }

    /// The table `name` (`events`, `failed_events`) that queries read and loads insert into:
    /// `werf_events`. On a cluster it is a `Distributed` table over [`stored`](Self::stored).
    pub(crate) fn table(&self, name: &str) -> String {
        format!("{}_{name}", self.program)
    }

    /// The table that holds the rows of [`table`](Self::table): the same on one server,
    /// `werf_events_local` on each shard of a cluster.
    pub(crate) fn stored(&self, name: &str) -> String {
        match self.cluster {
            Some(_) => format!("{}_{name}_local", self.program),
            None => self.table(name),
        }
    }

    /// The engine of a stored table: `MergeTree`, or its replicated form on a cluster.
    pub(crate) fn engine(&self, stored: &str) -> String {
        match self.cluster {
            Some(_) => format!(
                "ReplicatedMergeTree('/clickhouse/tables/{{shard}}/{{database}}/{stored}', '{{replica}}')"
            ),
            None => "MergeTree".to_owned(),
        }
    }

    /// The settings of a stored table: its deduplication window, and parts dropped whole by
    /// the retention.
    pub(crate) fn table_settings(&self) -> String {
        format!("SETTINGS {}, ttl_only_drop_parts = 1", self.deduplication())
    }

    /// Repeated inserts of the same rows (an exporter's retried batch; on a cluster, a file loaded
    /// again) are dropped while fewer than [`DEDUPLICATION_WINDOW`] blocks were inserted since, on one server
    /// as on a cluster. A replicated table also forgets its blocks after an hour by default
    /// (`replicated_deduplication_window_seconds`), so that a day's file loaded again the next
    /// day would count twice: there the count alone bounds it too.
    pub(crate) fn deduplication(&self) -> String {
        match self.cluster {
            Some(_) => format!(
                "replicated_deduplication_window = {DEDUPLICATION_WINDOW}, \
                 replicated_deduplication_window_seconds = {TEN_YEARS}"
            ),
            None => format!("non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}"),
        }
    }

    /// A table's TTL expression: its rows go `kept`'s days of the retention after the time `from`
    /// gives; `None` without a retention.
    pub(crate) fn ttl(&self, from: &str, kept: Kept) -> Option<String> {
        let (events, failures) = self.retention?;
        let days = match kept {
            Kept::Events => events,
            Kept::Failures => failures,
        };
        Some(format!("{from} + toIntervalDay({days})"))
    }

    /// The `TTL` clause of a `CREATE TABLE`, ending in a newline, or nothing without a retention.
    pub(crate) fn ttl_clause(&self, from: &str, kept: Kept) -> String {
        self.ttl(from, kept)
            .map(|ttl| format!("TTL {ttl}\n"))
            .unwrap_or_default()
    }

    /// The table a day file's load fills before it replaces the file's partition of the events
    /// (`werf_events_load`), on one server. A cluster loads a file as one block with a
    /// deduplication token instead: its shards' replicas would each need the staged rows.
    pub(crate) fn load_table(&self) -> Option<String> {
        match self.cluster {
            Some(_) => None,
            None => Some(self.table("events_load")),
        }
    }

    /// Every table that stores events: [`stored`](Self::stored) `events`, and on one server the
    /// [`load_table`](Self::load_table), where a load that failed may have left a file's rows.
    pub(crate) fn event_tables(&self) -> impl Iterator<Item = String> {
        std::iter::once(self.stored("events")).chain(self.load_table())
    }

    /// On a cluster, the `Distributed` table `name` over its stored tables, spread by
    /// `sharding_key`; nothing on one server.
    pub(crate) fn distributed(&self, name: &str, sharding_key: &str) -> String {
        let Some(cluster) = &self.cluster else {
            return String::new();
        };
        format!(
            "CREATE TABLE IF NOT EXISTS {table}{on} AS {stored}\n\
             ENGINE = Distributed({cluster}, currentDatabase(), {stored}, {sharding_key});\n\n",
            table = self.table(name),
            on = self.on_cluster(),
            stored = self.stored(name),
            cluster = string(cluster),
        )
    }
}
