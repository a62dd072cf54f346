//! The OpenTelemetry Collector's path: the exporter's `otel_traces` (created here, as the
//! exporter's own template creates it, when it does not exist yet: run the file before the
//! collector with `create_schema: false`), and two materialized views on it. A span of the
//! program whose envelope is whole goes into `<program>_events`; one the receiver would refuse for
//! its envelope (an attribute missing, `ts` or `schemaVersion` not a non-negative integer,
//! `attributes` or `eventData` not a JSON object, a version the file does not know) goes into
//! `<program>_failed_events` with the reason, never into the events with zeros. Spans of other
//! names are not read, as the receiver ignores them.

use std::fmt::Write as _;

use telemetry_core::MAX_SAFE_INTEGER;

use super::fields::version_list;
use super::sql::string;
use super::target::{Kept, Target};
use crate::config::OtelTraces;
use crate::model::version::EventVersion;

/// The envelope's attributes, in the envelope's order.
const KEYS: [&str; 9] = [
    "ts",
    "executionID",
    "userID",
    "projectID",
    "command",
    "attributes",
    "eventType",
    "eventData",
    "schemaVersion",
];

/// How a span attribute is read in `otel_traces`' layout.
pub(crate) struct Attributes(pub(crate) OtelTraces);

impl Attributes {
    /// The attribute `key` as text (the exporter writes a `Map`'s values with `AsString()`: an
    /// integer as its digits, as `toString` gives a JSON column's).
    pub(crate) fn value(&self, key: &str) -> String {
        match self.0 {
            OtelTraces::Json => format!("toString(SpanAttributes.`{key}`)"),
            _ => format!("SpanAttributes[{}]", string(key)),
        }
    }

    /// Whether the span has the attribute `key`.
    fn has(&self, key: &str) -> String {
        match self.0 {
            OtelTraces::Json => format!("SpanAttributes.`{key}` IS NOT NULL"),
            _ => format!("mapContains(SpanAttributes, {})", string(key)),
        }
    }

    /// Every attribute, as `Map(String, String)`: how a failure record keeps them.
    fn all(&self) -> &'static str {
        match self.0 {
            OtelTraces::Json => {
                "CAST(arrayMap(kv -> (kv.1, if(JSONType(kv.2) = 'String', JSONExtractString(kv.2), kv.2)), \
                 JSONExtractKeysAndValuesRaw(toString(SpanAttributes))), 'Map(String, String)')"
            }
            _ => "CAST(SpanAttributes, 'Map(String, String)')",
        }
    }
}

/// `otel_traces` and the two views from it.
pub(crate) fn otel(sql: &mut String, target: &Target, versions: &[EventVersion], uuid: bool) {
    otel_traces(sql, target);
    let read = Attributes(target.otel);
    let checks = checks(&read, versions, uuid);
    let failure = multi_if(&checks, |check| string(check.1));
    let message = multi_if(&checks, |check| string(check.2));
    let from = format!("FROM otel_traces\nWHERE SpanName = {}", target.span_name);
    let on = target.on_cluster();
    let value = |key: &str| read.value(key);
    let execution = if uuid {
        format!("toUUIDOrZero({})", value("executionID"))
    } else {
        value("executionID")
    };
    let _ = writeln!(
        sql,
        "-- The OpenTelemetry Collector's path: the program's spans in `otel_traces` whose envelope is\n\
         -- whole, as rows of {events}, as they arrive (spans there before: run the SELECT in an\n\
         -- INSERT INTO {events} once).\n\
         CREATE OR REPLACE MATERIALIZED VIEW {program}_events_from_otel{on} TO {events}\nAS SELECT\n    \
         toUInt64OrZero({ts}) AS ts,\n    {execution} AS executionID,\n    {user} AS userID,\n    \
         {project} AS projectID,\n    {command} AS command,\n    {attributes} AS attributes,\n    \
         {event_type} AS eventType,\n    {event_data} AS eventData,\n    \
         toUInt32OrZero({version}) AS schemaVersion\n{from} AND {failure} = ''\nCOMMENT {comment};\n",
        program = target.program,
        events = target.table("events"),
        ts = value("ts"),
        user = value("userID"),
        project = value("projectID"),
        command = value("command"),
        attributes = value("attributes"),
        event_type = value("eventType"),
        event_data = value("eventData"),
        version = value("schemaVersion"),
        comment = string(&format!(
            "The program's spans in the OpenTelemetry Collector's otel_traces whose envelope is \
             whole, as rows of {}.",
            target.table("events")
        )),
    );
    // Into the stored table itself, on the server the exporter inserts into (on a cluster, the
    // failure records are spread at random anyway): a record carries its time of receipt, so
    // that a retried batch's records differ from the first's, and only the deduplication a view
    // takes from the batch it reads drops them, which an insert through `Distributed` loses.
    let _ = writeln!(
        sql,
        "-- The spans whose envelope is not one, as failure records, with the reason.\n\
         CREATE OR REPLACE MATERIALIZED VIEW {program}_failed_events_from_otel{on} TO {failed}\nAS SELECT\n    \
         toUInt64(toUnixTimestamp64Milli(now64(3))) AS receivedAt,\n    {failure} AS failure,\n    \
         {message} AS message,\n    {event_type} AS eventType,\n    \
         toInt64OrZero({version}) AS schemaVersion,\n    SpanName AS spanName,\n    \
         {all} AS attributes\n{from} AND failure != ''\nCOMMENT {comment};\n",
        program = target.program,
        failed = target.stored("failed_events"),
        event_type = value("eventType"),
        version = value("schemaVersion"),
        all = read.all(),
        comment = string(&format!(
            "The program's spans in the OpenTelemetry Collector's otel_traces whose envelope is \
             not one, as rows of {}: what the receiver would refuse.",
            target.table("failed_events")
        )),
    );
}

/// What makes a span's envelope not one, in order: the condition, the failure, its words.
fn checks(
    read: &Attributes,
    versions: &[EventVersion],
    uuid: bool,
) -> Vec<(String, &'static str, &'static str)> {
    let missing: Vec<String> = KEYS.iter().map(|key| read.has(key)).collect();
    let object = |key: &str| {
        let value = read.value(key);
        format!("NOT (isValidJSON({value}) AND JSONType({value}) = 'Object')")
    };
    let mut checks = vec![
        (
            format!("NOT ({})", missing.join(" AND ")),
            "attribute_missing",
            "the span lacks an attribute of the envelope",
        ),
        (
            // `ts` as the schema allows it: at most 2^53 - 1, what JSON numbers hold exactly.
            format!(
                "ifNull(toUInt64OrNull({}) > {MAX_SAFE_INTEGER}, true) OR toUInt32OrNull({}) IS NULL",
                read.value("ts"),
                read.value("schemaVersion")
            ),
            "attribute_type",
            "ts or schemaVersion is not a non-negative integer the schema allows",
        ),
    ];
    if uuid {
        checks.push((
            format!("toUUIDOrNull({}) IS NULL", read.value("executionID")),
            "attribute_type",
            "executionID is not a UUID",
        ));
    }
    checks.push((
        format!("{} OR {}", object("attributes"), object("eventData")),
        "not_json",
        "attributes or eventData is not a JSON object",
    ));
    checks.push((
        format!(
            "({}, toUInt32OrZero({})) NOT IN ({})",
            read.value("eventType"),
            read.value("schemaVersion"),
            version_list(versions).unwrap_or_else(|| "('', 0)".to_owned())
        ),
        "unknown_event_version",
        "no view of this warehouse reads this event type and version",
    ));
    checks
}

/// `multiIf` over `checks`, each giving what `then` says, else `''`.
fn multi_if(
    checks: &[(String, &'static str, &'static str)],
    then: impl Fn(&(String, &'static str, &'static str)) -> String,
) -> String {
    let branches: Vec<String> = checks
        .iter()
        .map(|check| format!("{}, {}", check.0, then(check)))
        .collect();
    format!("multiIf({}, '')", branches.join(", "))
}

/// The time `otel_traces`' retention counts from: the span's, as the exporter's `ttl` does.
pub(crate) const OTEL_KEPT_FROM: &str = "toDateTime(Timestamp)";

/// `otel_traces` as the exporter's template (collector-contrib,
/// `exporter/clickhouseexporter/internal/sqltemplates/traces_table.sql` and
/// `traces_json_table.sql`) creates it, with the retention as its TTL and repeated inserts
/// dropped.
fn otel_traces(sql: &mut String, target: &Target) {
    let attributes = match target.otel {
        OtelTraces::Json => "JSON",
        _ => "Map(LowCardinality(String), String)",
    };
    let keys = |name: &str| match target.otel {
        OtelTraces::Json => {
            format!("    {name}AttributesKeys Array(LowCardinality(String)) CODEC(ZSTD(1)),\n")
        }
        _ => String::new(),
    };
    let items = match target.otel {
        OtelTraces::TextIndexes => {
            "    ResourceAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(ResourceAttributes, 'Array(Tuple(String, String))')),\n    \
             SpanAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(SpanAttributes, 'Array(Tuple(String, String))')),\n"
        }
        _ => "",
    };
    let indexes = match target.otel {
        OtelTraces::TextIndexes => {
            "    INDEX idx_trace_id TraceId TYPE text(tokenizer = 'array'),\n    \
             INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE text(tokenizer = 'array'),\n    \
             INDEX idx_res_attr_items ResourceAttributeItems TYPE text(tokenizer = 'array'),\n    \
             INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE text(tokenizer = 'array'),\n    \
             INDEX idx_span_attr_items SpanAttributeItems TYPE text(tokenizer = 'array'),\n"
        }
        OtelTraces::BloomFilters => {
            "    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,\n    \
             INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n    \
             INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n    \
             INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n    \
             INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n"
        }
        OtelTraces::Json => {
            "    INDEX idx_res_attr_keys ResourceAttributesKeys TYPE bloom_filter(0.01) GRANULARITY 1,\n    \
             INDEX idx_span_attr_keys SpanAttributesKeys TYPE bloom_filter(0.01) GRANULARITY 1,\n"
        }
    };
    let ttl = target.ttl_clause(OTEL_KEPT_FROM, Kept::Events);
    let primary_key = match target.otel {
        OtelTraces::Json => "",
        _ => "PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))\n",
    };
    let _ = writeln!(
        sql,
        "-- The OpenTelemetry Collector's ClickHouse exporter's table, as its template creates it (with\n\
         -- `create_schema: false`, the exporter leaves it to this file).\n\
         CREATE TABLE IF NOT EXISTS otel_traces{on}\n(\n    \
         Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),\n    TraceId String CODEC(ZSTD(1)),\n    \
         SpanId String CODEC(ZSTD(1)),\n    ParentSpanId String CODEC(ZSTD(1)),\n    \
         TraceState String CODEC(ZSTD(1)),\n    SpanName LowCardinality(String) CODEC(ZSTD(1)),\n    \
         SpanKind LowCardinality(String) CODEC(ZSTD(1)),\n    ServiceName LowCardinality(String) CODEC(ZSTD(1)),\n    \
         ResourceAttributes {attributes} CODEC(ZSTD(1)),\n{resource_keys}    ScopeName String CODEC(ZSTD(1)),\n    \
         ScopeVersion String CODEC(ZSTD(1)),\n    SpanAttributes {attributes} CODEC(ZSTD(1)),\n{span_keys}    \
         Duration UInt64 CODEC(T64, ZSTD(1)),\n    StatusCode LowCardinality(String) CODEC(ZSTD(1)),\n    \
         StatusMessage String CODEC(ZSTD(1)),\n    \
         Events Nested (Timestamp DateTime64(9), Name LowCardinality(String), Attributes {attributes}) CODEC(ZSTD(1)),\n    \
         Links Nested (TraceId String, SpanId String, TraceState String, Attributes {attributes}) CODEC(ZSTD(1)),\n\
         {items}{indexes}    INDEX idx_duration Duration TYPE minmax GRANULARITY 1\n)\n\
         ENGINE = {engine}\nPARTITION BY toDate(Timestamp)\n{primary_key}\
         ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)\n{ttl}{settings};\n",
        on = target.on_cluster(),
        resource_keys = keys("Resource"),
        span_keys = keys("Span"),
        engine = target.engine("otel_traces"),
        settings = target.table_settings(),
    );
}
