//! The program's ClickHouse warehouse, `schemas/clickhouse.sql` ([`Config::clickhouse`]),
//! generated from the event versions like every other file, so that a type or a class is decided
//! once:
//!
//! - `<program>_events`: one row per envelope, taking a receiver's stored lines as they are
//!   (`INSERT INTO <program>_events FORMAT JSONEachRow`), `ts` in milliseconds and `time`, a real
//!   time derived from it; `attributes` and `eventData` as the JSON documents that were sent;
//! - `<program>_failed_events`: a receiver's failure records, as they are;
//! - a view per event version, `<program>_<event_type in snake_case>_v<N>`: the envelope's
//!   columns and every field of `eventData` as a typed column named like its JSON key, each
//!   column's comment its description, class and purpose;
//! - `<program>_events_from_otel`: a materialized view from the OpenTelemetry Collector's
//!   ClickHouse exporter's `otel_traces` table into `<program>_events`, so that the views serve
//!   either path of ingestion. The exporter creates `otel_traces`; the file runs after it.
//!
//! Every statement is `IF NOT EXISTS`: running the file again changes nothing, and a published
//! version's view, whose schema never changes, never changes either.
//!
//! [`Config::clickhouse`]: crate::Config::clickhouse

use std::fmt::Write as _;

use serde_json::Value;
use telemetry_core::classify::envelope_field;

use crate::config::Config;
use crate::model::fields::Classification;
use crate::model::key_order::KeyOrder;
use crate::model::schema::resolve;
use crate::model::version::EventVersion;
use crate::model::walk::{alternatives, walk};
use crate::paths::GENERATED_MARKER;

/// The whole file, for `versions` of `config`'s program.
pub fn render(versions: &[EventVersion], config: &Config) -> String {
    let program = identifier_part(config.tool_name());
    let mut sql = format!(
        "-- {GENERATED_MARKER}\n\
         -- ClickHouse tables and views of {tool}'s telemetry: run with\n\
         -- `clickhouse-client --multiquery < clickhouse.sql`, after the OpenTelemetry Collector's\n\
         -- ClickHouse exporter has created `otel_traces` (the last statement reads it). Every\n\
         -- statement is `IF NOT EXISTS`: running it again changes nothing.\n\n",
        tool = config.tool_name(),
    );
    let envelope = versions
        .iter()
        .rev()
        .find(|version| version.rust_path.is_some())
        .or(versions.last());
    events_table(&mut sql, &program, envelope);
    failed_table(&mut sql, &program);
    for version in versions {
        version_view(&mut sql, &program, version);
    }
    from_otel(&mut sql, &program, &config.resolved_span_name());
    super::erasure::clickhouse(&mut sql, &program, &string(&config.resolved_span_name()));
    sql
}

/// The envelope's columns of the events table, with their types and how a view reads them.
const ENVELOPE: [(&str, &str); 9] = [
    ("ts", "UInt64"),
    ("executionID", "String"),
    ("userID", "String"),
    ("projectID", "String"),
    ("command", "String"),
    ("attributes", "String"),
    ("eventType", "LowCardinality(String)"),
    ("eventData", "String"),
    ("schemaVersion", "UInt32"),
];

/// What the derived `time` column says.
const TIME_COMMENT: &str = "When the event was emitted: `ts` as a time, to the millisecond, UTC.";

fn events_table(sql: &mut String, program: &str, newest: Option<&EventVersion>) {
    let _ = writeln!(sql, "CREATE TABLE IF NOT EXISTS {program}_events\n(");
    for (key, kind) in ENVELOPE {
        let comment = envelope_comment(newest, key);
        let _ = writeln!(
            sql,
            "    {} {kind} COMMENT {},",
            quoted_identifier(key),
            string(&comment)
        );
        if key == "ts" {
            let _ = writeln!(
                sql,
                "    time DateTime64(3, 'UTC') MATERIALIZED fromUnixTimestamp64Milli(toInt64(ts), 'UTC') COMMENT {},",
                string(TIME_COMMENT)
            );
        }
    }
    trim_comma(sql);
    let _ = writeln!(
        sql,
        ")\nENGINE = MergeTree\nPARTITION BY toDate(time)\nORDER BY (eventType, schemaVersion, time)\n\
         COMMENT {};\n",
        string(&format!(
            "One row per event: the envelope as the program sent it (the lines a telemetry \
             receiver stores, inserted as they are with FORMAT JSONEachRow). The views \
             {program}_<event>_v<N> give each version's fields typed."
        ))
    );
}

/// The comment of an envelope column: its description in the schema, its class and purpose.
fn envelope_comment(newest: Option<&EventVersion>, key: &str) -> String {
    let description = newest
        .and_then(|version| {
            version
                .schema
                .pointer(&format!("/properties/{key}"))
                .map(|property| (version, property))
        })
        .map(|(version, property)| {
            let target = resolve(&version.schema, property).unwrap_or(property);
            property
                .get("description")
                .or_else(|| target.get("description"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        })
        .unwrap_or_default();
    let description = match key {
        "attributes" | "eventData" => format!("{description} The JSON document as sent."),
        _ => description,
    };
    match envelope_field(key) {
        Some(field) => with_class(
            &description,
            Classification {
                class: field.class,
                purpose: field.purpose,
                hashed: false,
            },
        ),
        None => description,
    }
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
        "String",
        "The envelope rebuilt from the span, one JSON line, when it could be.",
    ),
    (
        "attributes",
        "Map(String, String)",
        "The span's attributes as received.",
    ),
    ("body", "String", "An undecodable request body, in base64."),
];

fn failed_table(sql: &mut String, program: &str) {
    let _ = writeln!(sql, "CREATE TABLE IF NOT EXISTS {program}_failed_events\n(");
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
                "    receivedTime DateTime64(3, 'UTC') MATERIALIZED fromUnixTimestamp64Milli(toInt64(receivedAt), 'UTC') COMMENT {},",
                string("When it was received, as a time, UTC.")
            );
        }
    }
    trim_comma(sql);
    let _ = writeln!(
        sql,
        ")\nENGINE = MergeTree\nPARTITION BY toDate(receivedTime)\nORDER BY (failure, eventType, receivedTime)\n\
         COMMENT {};\n",
        string(
            "What a telemetry receiver could not accept: its failure records (failed/*.jsonl), \
             inserted as they are with FORMAT JSONEachRow."
        )
    );
}

/// `<program>_<event_type in snake_case>_v<N>`.
pub fn view_name(program: &str, event_type: &str, version: u32) -> String {
    format!(
        "{}_{}_v{version}",
        identifier_part(program),
        snake_case(event_type)
    )
}

fn version_view(sql: &mut String, program: &str, version: &EventVersion) {
    let name = view_name(program, &version.event_type, version.version);
    let root = &version.schema;
    let order = KeyOrder::of(version.examples.iter().map(String::as_str));
    let mut columns = Vec::new();
    let mut selects = Vec::new();
    for (key, kind) in ENVELOPE {
        let kind = kind.replace("LowCardinality(String)", "String");
        columns.push(format!(
            "    {} {kind} COMMENT {}",
            quoted_identifier(key),
            string(&envelope_comment(Some(version), key))
        ));
        selects.push(format!("    {}", quoted_identifier(key)));
        if key == "ts" {
            columns.push(format!(
                "    time DateTime64(3, 'UTC') COMMENT {}",
                string(TIME_COMMENT)
            ));
            selects.push("    time".to_owned());
        }
    }
    let event_data = root
        .pointer("/properties/eventData")
        .and_then(|data| resolve(root, data));
    if let Some(event_data) = event_data {
        for node in walk(root, event_data, "eventData", &order, false) {
            let key = node.path.trim_start_matches("eventData.");
            let (kind, read) =
                match column_type(root, &node.property, !node.required, &order, &node.path) {
                    Some(kind) => {
                        let read =
                            format!("JSONExtract(eventData, {}, {})", string(key), string(&kind));
                        (kind, read)
                    }
                    // What has no one type (an enum that carries data) is its JSON, as sent.
                    None => (
                        "String".to_owned(),
                        format!("JSONExtractRaw(eventData, {})", string(key)),
                    ),
                };
            let mut comment = node.description(root).trim().to_owned();
            if kind.starts_with("Array(") || kind.starts_with("Map(") || kind.starts_with("Tuple(")
            {
                if !node.required {
                    comment.push_str(" Empty when absent.");
                }
            } else if kind == "String"
                && column_type(root, &node.property, false, &order, &node.path).is_none()
            {
                comment.push_str(" Its JSON, as sent.");
            }
            let comment = match version.classifications.get(&node.path) {
                Some(classification) => with_class(&comment, *classification),
                None => comment,
            };
            columns.push(format!(
                "    {} {kind} COMMENT {}",
                quoted_identifier(key),
                string(&comment)
            ));
            selects.push(format!("    {read} AS {}", quoted_identifier(key)));
        }
    }
    let _ = writeln!(
        sql,
        "CREATE VIEW IF NOT EXISTS {name}\n(\n{}\n)\nAS SELECT\n{}\nFROM {program}_events\n\
         WHERE eventType = {} AND schemaVersion = {}\nCOMMENT {};\n",
        columns.join(",\n"),
        selects.join(",\n"),
        string(&version.event_type),
        version.version,
        string(&format!(
            "{} v{}: {}",
            version.event_type,
            version.version,
            first_line(version.description())
        )),
    );
}

fn from_otel(sql: &mut String, program: &str, span_name: &str) {
    let attribute = |key: &str| format!("SpanAttributes[{}]", string(key));
    let columns: Vec<String> = ENVELOPE
        .iter()
        .map(|(key, kind)| {
            let read = match *kind {
                "UInt64" => format!("toUInt64OrZero({})", attribute(key)),
                "UInt32" => format!("toUInt32OrZero({})", attribute(key)),
                _ => attribute(key),
            };
            format!("    {read} AS {}", quoted_identifier(key))
        })
        .collect();
    let _ = writeln!(
        sql,
        "-- The OpenTelemetry Collector's path: its ClickHouse exporter writes every span into\n\
         -- `otel_traces`, each attribute a string; this view puts the program's into\n\
         -- {program}_events as they arrive (rows already there: run its SELECT in an INSERT INTO\n\
         -- {program}_events once).\n\
         CREATE MATERIALIZED VIEW IF NOT EXISTS {program}_events_from_otel TO {program}_events\n\
         AS SELECT\n{}\nFROM otel_traces\nWHERE SpanName = {}\nCOMMENT {};",
        columns.join(",\n"),
        string(span_name),
        string(&format!(
            "The program's spans in the OpenTelemetry Collector's otel_traces, as rows of {program}_events."
        )),
    );
}

/// The ClickHouse type of a field of `schema` (at `path`, the elements of a tuple in wire order),
/// `nullable` when it may be absent; `None` for what has no one type (an enum that carries data,
/// anything without a `type`).
fn column_type(
    root: &Value,
    schema: &Value,
    nullable: bool,
    order: &KeyOrder,
    path: &str,
) -> Option<String> {
    let schema = resolve(root, schema)?;
    if !alternatives(root, schema).is_empty() {
        return None;
    }
    let (kinds, null) = match schema.get("type")? {
        Value::String(kind) => (vec![kind.as_str()], false),
        Value::Array(kinds) => {
            let kinds: Vec<&str> = kinds.iter().filter_map(Value::as_str).collect();
            let null = kinds.contains(&"null");
            (
                kinds.into_iter().filter(|kind| *kind != "null").collect(),
                null,
            )
        }
        _ => return None,
    };
    let [kind] = kinds.as_slice() else {
        return None;
    };
    let base = match *kind {
        "integer" => integer_type(schema),
        "number" => "Float64".to_owned(),
        "boolean" => "Bool".to_owned(),
        "string" => "String".to_owned(),
        "array" => match (schema.get("prefixItems"), schema.get("items")) {
            (Some(Value::Array(elements)), _) => {
                let elements: Option<Vec<String>> = elements
                    .iter()
                    .map(|element| column_type(root, element, false, order, &format!("{path}[]")))
                    .collect();
                format!("Tuple({})", elements?.join(", "))
            }
            (_, Some(items)) => format!(
                "Array({})",
                column_type(root, items, false, order, &format!("{path}[]"))?
            ),
            _ => return None,
        },
        "object" => match (
            schema.get("properties").and_then(Value::as_object),
            schema.get("additionalProperties"),
        ) {
            (Some(properties), _) if !properties.is_empty() => {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|keys| keys.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut keys: Vec<&str> = properties.keys().map(String::as_str).collect();
                order.sort(path, &mut keys);
                let elements: Option<Vec<String>> = keys
                    .iter()
                    .map(|key| {
                        let property = properties.get(*key)?;
                        let child = format!("{path}.{key}");
                        let kind =
                            column_type(root, property, !required.contains(key), order, &child)?;
                        Some(format!("{} {kind}", quoted_identifier(key)))
                    })
                    .collect();
                format!("Tuple({})", elements?.join(", "))
            }
            (_, Some(values @ Value::Object(_))) => {
                format!(
                    "Map(String, {})",
                    column_type(root, values, false, order, &format!("{path}.*"))?
                )
            }
            _ => return None,
        },
        _ => return None,
    };
    // ClickHouse has no `Nullable` of a composite: an absent array, map or object is empty.
    let composite =
        base.starts_with("Array(") || base.starts_with("Map(") || base.starts_with("Tuple(");
    Some(if (nullable || null) && !composite {
        format!("Nullable({base})")
    } else {
        base
    })
}

/// The smallest ClickHouse integer that holds every value `schema`'s bounds admit.
fn integer_type(schema: &Value) -> String {
    let bound = |key| schema.get(key).and_then(Value::as_i64);
    let (minimum, maximum) = (bound("minimum"), bound("maximum"));
    if minimum.is_some_and(|minimum| minimum >= 0) {
        let maximum = maximum.unwrap_or(i64::MAX);
        let bits = [8, 16, 32]
            .into_iter()
            .find(|bits| maximum < 1_i64 << bits)
            .unwrap_or(64);
        format!("UInt{bits}")
    } else {
        let fits = |bits: u32| {
            let (low, high) = (-(1_i64 << (bits - 1)), (1_i64 << (bits - 1)) - 1);
            minimum.is_some_and(|minimum| minimum >= low)
                && maximum.is_some_and(|maximum| maximum <= high)
        };
        let bits = [8, 16, 32]
            .into_iter()
            .find(|bits| fits(*bits))
            .unwrap_or(64);
        format!("Int{bits}")
    }
}

/// `description` followed by the class and purpose.
fn with_class(description: &str, classification: Classification) -> String {
    let class = if classification.hashed {
        format!(
            "{} (keyed hash of {})",
            classification.sent_class(),
            classification.class
        )
    } else {
        classification.class.to_string()
    };
    let description = description.trim();
    let separator = if description.is_empty() { "" } else { " " };
    format!(
        "{description}{separator}Class: {class}; purpose: {}.",
        classification.purpose
    )
}

/// A SQL string literal.
fn string(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("'{}'", one_line.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// An identifier in backquotes.
fn quoted_identifier(name: &str) -> String {
    format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
}

/// A program's name as part of an identifier: letters, digits and `_`.
fn identifier_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// `BuildFinished` → `build_finished`, `CIRunStarted` → `ci_run_started`.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (index, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            let previous = chars[index - 1];
            let next_is_lower = chars.get(index + 1).is_some_and(char::is_ascii_lowercase);
            if previous.is_ascii_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_ascii_uppercase() && next_is_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn first_line(text: &str) -> &str {
    text.split("\n\n").next().unwrap_or_default()
}

fn trim_comma(sql: &mut String) {
    if sql.ends_with(",\n") {
        sql.truncate(sql.len() - 2);
        sql.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{column_type, integer_type, snake_case, string, view_name};
    use crate::model::key_order::KeyOrder;

    #[test]
    fn names() {
        assert_eq!(snake_case("BuildFinished"), "build_finished");
        assert_eq!(snake_case("CIRunStarted"), "ci_run_started");
        assert_eq!(snake_case("Http2Request"), "http2_request");
        assert_eq!(
            view_name("werf", "StageBuildFinished", 2),
            "werf_stage_build_finished_v2"
        );
        assert_eq!(view_name("my-tool", "A", 1), "my_tool_a_v1");
        assert_eq!(string("it's \\ a\n  test"), "'it\\'s \\\\ a test'");
    }

    #[test]
    fn types_from_schemas() {
        let root = json!({ "$defs": { "Option": { "type": "object", "properties": {
            "name": { "type": "string" }, "count": { "type": "integer", "minimum": 0, "maximum": 4_294_967_295_u32 }
        }, "required": ["name"] } } });
        let cases = [
            (
                json!({ "type": "integer", "minimum": 0, "maximum": 9_007_199_254_740_991_i64 }),
                false,
                "UInt64",
            ),
            (
                json!({ "type": "integer", "minimum": 0, "maximum": 255 }),
                false,
                "UInt8",
            ),
            (
                json!({ "type": "integer", "minimum": -2_147_483_648_i64, "maximum": 2_147_483_647 }),
                false,
                "Int32",
            ),
            (json!({ "type": "boolean" }), true, "Nullable(Bool)"),
            (
                json!({ "type": ["string", "null"] }),
                false,
                "Nullable(String)",
            ),
            (json!({ "type": "number" }), false, "Float64"),
            (
                json!({ "type": "array", "items": { "$ref": "#/$defs/Option" } }),
                true,
                "Array(Tuple(`count` Nullable(UInt32), `name` String))",
            ),
            (
                json!({ "type": "object", "additionalProperties": { "type": "string" } }),
                false,
                "Map(String, String)",
            ),
            (
                json!({ "type": "array", "prefixItems": [{ "type": "integer", "minimum": 0, "maximum": 65535 }, { "type": "string" }] }),
                false,
                "Tuple(UInt16, String)",
            ),
        ];
        let order = KeyOrder::default();
        for (schema, nullable, expected) in cases {
            let kind = column_type(&root, &schema, nullable, &order, "x");
            assert_eq!(kind.as_deref(), Some(expected), "{schema}");
        }
        let union = json!({ "oneOf": [{ "type": "string" }] });
        assert_eq!(column_type(&root, &union, false, &order, "x"), None);
        assert_eq!(
            integer_type(&json!({ "minimum": -5, "maximum": 5 })),
            "Int8"
        );
        assert_eq!(
            integer_type(&json!({ "minimum": -128, "maximum": 128 })),
            "Int16"
        );
        assert_eq!(integer_type(&json!({})), "Int64");
    }
}
