//! The typed columns of an event version: each top-level field of its `eventData`, and each
//! scalar of the envelope's `attributes`, with its ClickHouse type, how it is read from the JSON
//! document at insert, and its comment. The events table stores them (materialized at insert, so a
//! query reads a typed column as from a hand-typed table); the version's view names them.

use serde_json::Value;

use super::sql::{quoted_identifier, snake_case, string, with_class};
use super::types::{column_type, is_composite};
use crate::model::fields::Classification;
use crate::model::key_order::KeyOrder;
use crate::model::schema::resolve;
use crate::model::version::EventVersion;
use crate::model::walk::walk;

/// One typed column.
pub(crate) struct Field {
    /// Its JSON key.
    pub(crate) key: String,
    /// The events table's column that stores it, quoted: `` `stage_build_finished_v2__stage` ``,
    /// `` `attributes__version` ``.
    pub(crate) column: String,
    /// Its ClickHouse type.
    pub(crate) kind: String,
    /// Whether it has no one type, and is kept as its JSON.
    pub(crate) raw: bool,
    /// Its description, class and purpose.
    pub(crate) comment: String,
}

impl Field {
    /// The type a parse reads it as: its column's type without `LowCardinality`. A parse into a
    /// `LowCardinality` type hashes every value into a dictionary that the insert then builds
    /// again for the column (measured: a day's file loads 5% faster without).
    pub(crate) fn parsed_kind(&self) -> &str {
        self.kind
            .strip_prefix("LowCardinality(")
            .and_then(|inner| inner.strip_suffix(')'))
            .unwrap_or(&self.kind)
    }
}

/// The prefix of the events table's columns of `version`'s fields (`stage_build_finished_v2`),
/// or of the attributes' scalars (`attributes`).
fn prefix(version: Option<&EventVersion>) -> String {
    match version {
        Some(version) => version_stem(&version.event_type, version.version),
        None => "attributes".to_owned(),
    }
}

/// `<event_type in snake_case>_v<N>`, the stem of a version's view and of its stored columns.
pub(crate) fn version_stem(event_type: &str, version: u32) -> String {
    format!("{}_v{version}", snake_case(event_type))
}

/// The SQL condition that selects `version`'s rows of the events table.
pub(crate) fn version_condition(version: &EventVersion) -> String {
    format!(
        "eventType = {} AND schemaVersion = {}",
        string(&version.event_type),
        version.version
    )
}

/// `versions` as the list of `(eventType, schemaVersion)` tuples SQL's `IN` reads; `None` when
/// there are none.
pub(crate) fn version_list(versions: &[EventVersion]) -> Option<String> {
    let known: Vec<String> = versions
        .iter()
        .map(|version| format!("({}, {})", string(&version.event_type), version.version))
        .collect();
    (!known.is_empty()).then(|| known.join(", "))
}

/// The fields of `version`'s `eventData`, in wire order.
pub(crate) fn event_fields(version: &EventVersion) -> Vec<Field> {
    let root = &version.schema;
    let group = prefix(Some(version));
    let Some(event_data) = root
        .pointer("/properties/eventData")
        .and_then(|data| resolve(root, data))
    else {
        return Vec::new();
    };
    fields(version, event_data, "eventData", &group, true)
}

/// The scalar fields of the envelope's `attributes` in `version`'s schema: what every event
/// carries about where it ran (the composite ones, such as `extra`, stay in the JSON document).
pub(crate) fn attribute_fields(version: &EventVersion) -> Vec<Field> {
    let root = &version.schema;
    let Some(attributes) = root
        .pointer("/properties/attributes")
        .and_then(|data| resolve(root, data))
    else {
        return Vec::new();
    };
    fields(version, attributes, "attributes", &prefix(None), false)
        .into_iter()
        .filter(|field| !is_composite(&field.kind))
        .collect()
}

fn fields(
    version: &EventVersion,
    object: &Value,
    path: &str,
    group: &str,
    composites: bool,
) -> Vec<Field> {
    let root = &version.schema;
    let order = KeyOrder::of(version.examples.iter().map(String::as_str));
    let mut out: Vec<Field> = Vec::new();
    for node in walk(root, object, path, &order, false) {
        let key = node.path.trim_start_matches(path).trim_start_matches('.');
        if out.iter().any(|field| field.key == key) {
            continue;
        }
        let typed = column_type(root, &node.property, !node.required, &order, &node.path);
        let has_type = typed.is_some();
        let (kind, note) = match typed {
            Some(kind) if is_composite(&kind) => {
                if !composites {
                    continue;
                }
                (
                    kind,
                    if node.required {
                        ""
                    } else {
                        " Empty when absent."
                    },
                )
            }
            Some(kind) => (kind, ""),
            // What has no one type (an enum that carries data) is its JSON, as sent.
            None => ("String".to_owned(), " Its JSON, as sent."),
        };
        let column = quoted_identifier(&format!("{group}__{key}"));
        // A field kept as its JSON is a plain `String`, as the column that stores it.
        let kind = if has_type {
            low_cardinality(&kind)
        } else {
            kind
        };
        let mut comment = node.description(root).trim().to_owned();
        comment.push_str(note);
        let comment = match version.classifications.get(&node.path) {
            Some(classification) => with_class(&comment, *classification),
            None => comment,
        };
        out.push(Field {
            key: key.to_owned(),
            column,
            kind,
            raw: !has_type,
            comment,
        });
    }
    out
}

/// A string column as `LowCardinality`: event fields are mostly names drawn from a few values,
/// which a dictionary stores and groups by fastest.
fn low_cardinality(kind: &str) -> String {
    match kind {
        "String" => "LowCardinality(String)".to_owned(),
        "Nullable(String)" => "LowCardinality(Nullable(String))".to_owned(),
        _ => kind.to_owned(),
    }
}

/// The comment of a field of the envelope itself: its description in the schema and `note`,
/// with `classification`.
pub(crate) fn envelope_comment(
    version: Option<&EventVersion>,
    key: &str,
    note: &str,
    classification: Option<Classification>,
) -> String {
    let description = version
        .and_then(|version| {
            let property = version.schema.pointer(&format!("/properties/{key}"))?;
            let target = resolve(&version.schema, property).unwrap_or(property);
            property
                .get("description")
                .or_else(|| target.get("description"))
                .and_then(Value::as_str)
        })
        .unwrap_or_default();
    let description = format!("{}{note}", description.trim());
    match classification {
        Some(classification) => with_class(&description, classification),
        None => description,
    }
}
