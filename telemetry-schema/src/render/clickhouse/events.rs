//! The two tables: `<program>_events`, one row per event with its typed fields stored beside
//! the JSON documents they come from, and `<program>_failed_events`, a receiver's failure
//! records. Both are partitioned and kept by the day their rows reached the warehouse, never by a
//! client's clock, and drop a block of rows inserted again; the events are partitioned by the
//! receiver's file they were loaded from as well, which a load fills on one server through a
//! table of its own, `<program>_events_load`, then replaces in one step.

use std::fmt::Write as _;

use telemetry_core::classify::envelope_field;

use super::fields::{Field, attribute_fields, envelope_comment, event_fields, version_condition};
use super::sql::{quoted_identifier, string};
use super::target::{Kept, Target};
use crate::model::fields::Classification;
use crate::model::version::EventVersion;

/// The envelope's columns of the events table: key, type, codec.
fn envelope(newest: Option<&EventVersion>) -> [(&'static str, &'static str); 9] {
    // A run's ID the schema says is a UUID is stored as one: 16 bytes, not 36 characters.
    let uuid = newest.is_some_and(|version| {
        version.schema.pointer("/properties/executionID/format") == Some(&"uuid".into())
    });
    [
        ("ts", "UInt64 CODEC(T64, ZSTD(1))"),
        (
            "executionID",
            if uuid {
                "UUID"
            } else {
                "String CODEC(ZSTD(1))"
            },
        ),
        ("userID", "String CODEC(ZSTD(1))"),
        ("projectID", "String CODEC(ZSTD(1))"),
        ("command", "LowCardinality(String)"),
        ("attributes", "String CODEC(ZSTD(3))"),
        ("eventType", "LowCardinality(String)"),
        ("eventData", "String CODEC(ZSTD(3))"),
        ("schemaVersion", "UInt32"),
    ]
}

/// The envelope's column names and types, without codecs, for views.
pub(crate) fn envelope_types(newest: Option<&EventVersion>) -> Vec<(&'static str, String)> {
    envelope(newest)
        .iter()
        .map(|(key, kind)| (*key, kind.split(" CODEC").next().unwrap_or(kind).to_owned()))
        .collect()
}

/// What `time` says.
pub(crate) const TIME_COMMENT: &str =
    "When the event was emitted, by the client's clock: `ts` as a time, to the millisecond, UTC.";
/// What `received` says.
pub(crate) const RECEIVED_COMMENT: &str = "The day (UTC) the event was received: the day of the \
     receiver's file it was loaded from, or the day the collector's exporter inserted it. \
     Partitions and the retention follow it, not the client's clock.";
/// What `source` says.
pub(crate) const SOURCE_COMMENT: &str = "The receiver's file the event was loaded from, as the \
     load command names it (host and path); empty for the collector's exporter and other inserts. \
     Partitions follow it with `received`, so that loading a file again replaces what it loaded.";

/// How the events tables are partitioned: by the day of receipt and the file loaded, so that a
/// file's rows are one partition, which a load replaces whole.
const PARTITION_BY: &str = "(received, source)";
/// The time the events tables' retention counts from: the day of receipt.
pub(crate) const EVENTS_KEPT_FROM: &str = "received";
/// The time the failure records' retention counts from: their time of receipt.
pub(crate) const FAILED_KEPT_FROM: &str = "toDateTime(receivedTime)";
/// How the events tables are sorted.
const ORDER_BY: &str = "(eventType, schemaVersion, projectID, executionID, ts)";

/// The comment of an envelope column.
pub(crate) fn column_comment(version: Option<&EventVersion>, key: &str) -> String {
    let classification = envelope_field(key).map(|field| Classification {
        class: field.class,
        purpose: field.purpose,
        hashed: false,
    });
    let note = match key {
        "attributes" | "eventData" => " The JSON document as sent.",
        _ => "",
    };
    envelope_comment(version, key, note, classification)
}

/// The events table, and the typed columns of `versions` added to it.
pub(crate) fn events_table(sql: &mut String, target: &Target, versions: &[EventVersion]) {
    let newest = newest(versions);
    let stored = target.stored("events");
    let _ = writeln!(
        sql,
        "CREATE TABLE IF NOT EXISTS {stored}{}\n(",
        target.on_cluster()
    );
    for (key, kind) in envelope(newest) {
        let comment = column_comment(newest, key);
        let _ = writeln!(
            sql,
            "    {} {kind} COMMENT {},",
            quoted_identifier(key),
            string(&comment)
        );
        if key == "ts" {
            let _ = writeln!(
                sql,
                "    `time` DateTime64(3, 'UTC') ALIAS fromUnixTimestamp64Milli(toInt64(ts), 'UTC') COMMENT {},\n    \
                 `received` Date DEFAULT today() COMMENT {},\n    \
                 `source` LowCardinality(String) DEFAULT '' COMMENT {},",
                string(TIME_COMMENT),
                string(RECEIVED_COMMENT),
                string(SOURCE_COMMENT)
            );
        }
    }
    trim_comma(sql);
    let ttl = target.ttl_clause(EVENTS_KEPT_FROM, Kept::Events);
    let _ = writeln!(
        sql,
        ")\nENGINE = {engine}\nPARTITION BY {PARTITION_BY}\nORDER BY {ORDER_BY}\n\
         {ttl}{settings}\nCOMMENT {comment};\n",
        engine = target.engine(&stored),
        settings = target.table_settings(),
        comment = string(&format!(
            "One row per event: the envelope as the program sent it (the lines a telemetry \
             receiver stores, inserted with FORMAT JSONEachRow), and each event version's fields \
             typed, stored at insert; the views {program}_<event>_v<N> name them.",
            program = target.program
        )),
    );
    keep_deduplication(sql, target, &stored);
    let load = target.load_table();
    if let Some(load) = &load {
        load_table(sql, &stored, load, &ttl);
    }
    let attributes = attribute_fields_of(newest);
    let mut groups = vec![typed_columns(
        (&Parse::of("attributes", &attributes), None),
        &attributes,
    )];
    let fields: Vec<Vec<Field>> = versions.iter().map(event_fields).collect();
    let parse = Parse::of("eventData", fields.iter().flatten());
    for (version, fields) in versions.iter().zip(&fields) {
        let condition = version_condition(version);
        groups.push(typed_columns((&parse, Some(&condition)), fields));
    }
    // Every group's additions, then one statement bringing every definition up to date: a column
    // added by an earlier run keeps its expression otherwise, and once the shared parse has grown
    // a new version's keys, the old and the new expression would each parse every row.
    let (mut alters, modifies): (Vec<String>, Vec<String>) = groups
        .into_iter()
        .filter(|(add, _)| !add.is_empty())
        .unzip();
    if !modifies.is_empty() {
        alters.push(modifies.join(",\n"));
    }
    alter(sql, target, &stored, &alters);
    if let Some(load) = &load {
        alter(sql, target, load, &alters);
    }
    sql.push_str(&target.distributed("events", "cityHash64(executionID)"));
    if target.cluster.is_some() {
        alter(sql, target, &target.table("events"), &alters);
    }
}

/// The table a load fills before its rows replace the file's partition of `stored`: the same
/// columns, partitions and order (or ClickHouse refuses the replacement), none of its
/// deduplication (a file loaded again must be written again, not dropped as a repeat), and the
/// same retention `ttl`: a part takes the times it expires from the table it is written in, and
/// one written without them would never expire where it is put.
fn load_table(sql: &mut String, stored: &str, load: &str, ttl: &str) {
    let _ = writeln!(
        sql,
        "CREATE TABLE IF NOT EXISTS {load} AS {stored}\nENGINE = MergeTree\nPARTITION BY {PARTITION_BY}\n\
         ORDER BY {ORDER_BY}\n{ttl}SETTINGS non_replicated_deduplication_window = 0\nCOMMENT {};\n",
        string(&format!(
            "A load's rows before they replace their file's partition of {stored}: empty between loads."
        )),
    );
}

/// The version whose envelope the table's comments follow: the newest a type still defines.
pub(crate) fn newest(versions: &[EventVersion]) -> Option<&EventVersion> {
    versions
        .iter()
        .rev()
        .find(|version| version.rust_path.is_some())
        .or(versions.last())
}

/// The attribute fields of `newest`'s envelope.
pub(crate) fn attribute_fields_of(newest: Option<&EventVersion>) -> Vec<Field> {
    newest.map(attribute_fields).unwrap_or_default()
}

/// One parse of a JSON document for every typed column read from it: the fields of all versions,
/// by key, as one tuple. Each column's expression names the same `JSONExtract`, which ClickHouse
/// computes once per row however many columns read it.
struct Parse {
    source: &'static str,
    /// `JSONExtract(source, 'Tuple(...)')` of `keys`.
    expression: String,
    /// The keys it reads, with their types: the first type a key is met with.
    keys: Vec<(String, String)>,
}

impl Parse {
    fn of<'a>(source: &'static str, fields: impl IntoIterator<Item = &'a Field>) -> Self {
        let mut keys: Vec<(String, String)> = Vec::new();
        for field in fields.into_iter().filter(|field| !field.raw) {
            if !keys.iter().any(|(key, _)| *key == field.key) {
                keys.push((field.key.clone(), field.parsed_kind().to_owned()));
            }
        }
        let kind: Vec<String> = keys
            .iter()
            .map(|(key, kind)| format!("{} {kind}", quoted_identifier(key)))
            .collect();
        let expression = format!(
            "JSONExtract({source}, {})",
            string(&format!("Tuple({})", kind.join(", ")))
        );
        Parse {
            source,
            expression,
            keys,
        }
    }

    /// How `field` is read: from the shared parse, or (a key met with another type elsewhere)
    /// with a parse of its own.
    fn read(&self, field: &Field) -> String {
        if self
            .keys
            .iter()
            .any(|(key, kind)| *key == field.key && kind == field.parsed_kind())
        {
            format!("tupleElement({}, {})", self.expression, string(&field.key))
        } else {
            format!(
                "JSONExtract({}, {}, {})",
                self.source,
                string(&field.key),
                string(field.parsed_kind())
            )
        }
    }
}

/// The clauses for `fields`' typed columns, each a column of its own (a query reads a plain column
/// fastest), read through `parse` at insert for the rows that meet `condition` (all rows without
/// one): `ADD COLUMN IF NOT EXISTS` for a table without them, and `MODIFY COLUMN` to bring an
/// existing column's expression, codec and comment up to date. The type is left out of the
/// latter, so that it never converts stored rows: changing an expression, a codec or a comment
/// changes only what later inserts write (ClickHouse rewrites no part for it).
fn typed_columns((parse, condition): (&Parse, Option<&str>), fields: &[Field]) -> (String, String) {
    let (add, modify): (Vec<String>, Vec<String>) = fields
        .iter()
        .map(|field| {
            // The column's type, and the type its expression reads.
            let (read, kind, parsed) = if field.raw {
                let read = format!("JSONExtractRaw({}, {})", parse.source, string(&field.key));
                (read, "String", "String")
            } else {
                (parse.read(field), field.kind.as_str(), field.parsed_kind())
            };
            let read = match condition {
                Some(condition) => format!(
                    "if({condition}, {read}, defaultValueOfTypeName({}))",
                    string(parsed)
                ),
                None => read,
            };
            let definition = format!(
                "MATERIALIZED {read}{} COMMENT {}",
                codec(kind),
                string(&field.comment)
            );
            (
                format!(
                    "    ADD COLUMN IF NOT EXISTS {} {kind} {definition}",
                    field.column
                ),
                format!("    MODIFY COLUMN {} {definition}", field.column),
            )
        })
        .unzip();
    (add.join(",\n"), modify.join(",\n"))
}

/// The codec of a typed column: an integer's bits packed before ZSTD (`T64`), which a query
/// reads measurably faster than the default LZ4 (the benchmark's p95 per stage: 23 ms against
/// 16 ms); the default for the rest.
fn codec(kind: &str) -> &'static str {
    let integer = kind
        .strip_prefix("UInt")
        .or_else(|| kind.strip_prefix("Int"))
        .is_some_and(|bits| matches!(bits, "8" | "16" | "32" | "64"));
    if integer { " CODEC(T64, ZSTD(1))" } else { "" }
}

/// One `ALTER TABLE` per non-empty group of clauses.
fn alter(sql: &mut String, target: &Target, table: &str, groups: &[String]) {
    for clauses in groups {
        let _ = writeln!(
            sql,
            "ALTER TABLE {table}{}\n{clauses};\n",
            target.on_cluster()
        );
    }
}

/// Brings the deduplication window of `stored`, which an earlier run of the SQL may have created
/// with another, up to date.
fn keep_deduplication(sql: &mut String, target: &Target, stored: &str) {
    let setting = format!("    MODIFY SETTING {}", target.deduplication());
    alter(sql, target, stored, &[setting]);
}

/// The failure records' columns, as `telemetry-receiver` writes them
/// (`schemas/failed-event.schema.json` of that crate).
const FAILED: [(&str, &str, &str); 10] = [
    (
        "receivedAt",
        "UInt64",
        "When it was received, in milliseconds since the Unix epoch.",
    ),
    (
        "failure",
        "LowCardinality(String)",
        "What failed: undecodable, attribute_missing, attribute_type, not_json, unknown_event_version, schema_violation or event_too_large.",
    ),
    ("message", "String", "What failed, in words."),
    (
        "errors",
        "Array(Tuple(pointer String, keyword String, message String))",
        "Each error of a schema violation: where (a JSON Pointer), the keyword, what the validator said.",
    ),
    (
        "eventType",
        "LowCardinality(String)",
        "The span's eventType, when it had one.",
    ),
    (
        "schemaVersion",
        "Int64",
        "The span's schemaVersion, when it had one; 0 otherwise.",
    ),
    (
        "spanName",
        "LowCardinality(String)",
        "The span's name; empty for an undecodable body.",
    ),
    (
        "envelope",
        "String CODEC(ZSTD(1))",
        "The envelope rebuilt from the span, one JSON line, when it could be.",
    ),
    (
        "attributes",
        "Map(String, String) CODEC(ZSTD(1))",
        "The span's attributes as received.",
    ),
    (
        "body",
        "String CODEC(ZSTD(1))",
        "An undecodable request body, in base64.",
    ),
];

/// The failed events' table.
pub(crate) fn failed_table(sql: &mut String, target: &Target) {
    let stored = target.stored("failed_events");
    let _ = writeln!(
        sql,
        "CREATE TABLE IF NOT EXISTS {stored}{}\n(",
        target.on_cluster()
    );
    for (key, kind, comment) in FAILED {
        let _ = writeln!(
            sql,
            "    {} {kind} COMMENT {},",
            quoted_identifier(key),
            string(comment)
        );
        if key == "receivedAt" {
            let _ = writeln!(
                sql,
                "    `receivedTime` DateTime64(3, 'UTC') MATERIALIZED fromUnixTimestamp64Milli(toInt64(receivedAt), 'UTC') COMMENT {},",
                string(
                    "When it was received, as a time, UTC: partitions and the retention follow it."
                )
            );
        }
    }
    trim_comma(sql);
    let ttl = target.ttl_clause(FAILED_KEPT_FROM, Kept::Failures);
    let _ = writeln!(
        sql,
        ")\nENGINE = {engine}\nPARTITION BY toDate(receivedTime)\nORDER BY (failure, eventType, receivedTime)\n\
         {ttl}{settings}\nCOMMENT {comment};\n",
        engine = target.engine(&stored),
        settings = target.table_settings(),
        comment = string(
            "What could not be accepted: a telemetry receiver's failure records (failed/*.jsonl), \
             inserted as they are with FORMAT JSONEachRow, and the collector's spans whose \
             envelope is not one."
        ),
    );
    keep_deduplication(sql, target, &stored);
    sql.push_str(&target.distributed("failed_events", "rand()"));
}

fn trim_comma(sql: &mut String) {
    if sql.ends_with(",\n") {
        sql.truncate(sql.len() - 2);
        sql.push('\n');
    }
}
