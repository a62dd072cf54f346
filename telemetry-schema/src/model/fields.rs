//! Every field of an event version, by path: the one walk over a schema that the docs' tables
//! and the catalogue share, the type of each field in words, and the class and purpose of each
//! path, from the event's declared classifications ([`TelemetryEvent::FIELDS`]) and the
//! envelope's ([`ENVELOPE_FIELDS`]).
//!
//! A path names a field from the envelope's root: `ts`, `attributes.os`, `eventData.image`,
//! `eventData.stages[].name` (the elements of an array are `[]`); the one walk that finds them
//! (objects, arrays and the variants of enums) is shared with every reader of the fields.
//!
//! [`TelemetryEvent::FIELDS`]: telemetry_core::TelemetryEvent::FIELDS
//! [`ENVELOPE_FIELDS`]: telemetry_core::classify::ENVELOPE_FIELDS

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Value, json};
use telemetry_core::classify::{DataClass, Field, Purpose, envelope_field};

use super::key_order::KeyOrder;
use super::schema::resolve;
use super::walk::{alternatives, external_key, tag, tag_value, walk};

/// What one field holds and why it is sent: a classification as the catalogue records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    /// What it holds; for a hashed field, what the value was before hashing.
    pub class: DataClass,
    /// Why it is collected.
    pub purpose: Purpose,
    /// Whether it is sent as a keyed hash ([`Hashed`](telemetry_core::Hashed)).
    pub hashed: bool,
}

impl Classification {
    /// The class of what is sent: pseudonymized when hashed.
    pub fn sent_class(&self) -> DataClass {
        self.class.sent_as(self.hashed)
    }
}

impl From<&Field> for Classification {
    fn from(field: &Field) -> Self {
        Classification {
            class: field.class,
            purpose: field.purpose,
            hashed: field.hashed,
        }
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "class `{}`", self.class)?;
        if self.hashed {
            f.write_str(" (hashed)")?;
        }
        write!(f, ", purpose `{}`", self.purpose)
    }
}

/// The classification of every path of a version's fields.
pub type Classifications = BTreeMap<String, Classification>;

/// Classifies every path of `schema` (an envelope's): the envelope's fields as the core
/// classifies them, `eventData`'s from `fields`, each classification covering its field's
/// subtree.
///
/// A `#[serde(flatten)]`ed field's keys are the keys no named field has; when several fields are
/// flattened, those keys get the classification of the one whose class is the most sensitive,
/// since the schema no longer says which field a key came from.
///
/// Returns the classifications, and the paths nothing classifies: an envelope key the core does
/// not classify, or an `eventData` key no field declares.
pub fn classify(schema: &Value, fields: &[Field]) -> (Classifications, Vec<String>) {
    let flattened = fields
        .iter()
        .filter(|field| field.key.is_none())
        .max_by_key(|field| sensitivity(field.sent_class()));
    let mut classifications = Classifications::new();
    let mut unclassified = Vec::new();
    for node in walk(schema, schema, "", &KeyOrder::default(), true) {
        let classification = match node.path.strip_prefix("eventData.") {
            Some(data_path) => {
                let key = data_path.split(['.', '[']).next().unwrap_or(data_path);
                fields
                    .iter()
                    .find(|field| field.key == Some(key))
                    .or(flattened)
                    .map(Classification::from)
            }
            None => envelope_field(&node.path).map(|field| Classification {
                class: field.class,
                purpose: field.purpose,
                hashed: false,
            }),
        };
        match classification {
            Some(classification) => {
                classifications.insert(node.path, classification);
            }
            None => unclassified.push(node.path),
        }
    }
    (classifications, unclassified)
}

/// How much a class could tell about someone, for choosing between classifications.
fn sensitivity(class: DataClass) -> u8 {
    match class {
        DataClass::PublicNonPersonal => 0,
        DataClass::SystemMetadata => 1,
        DataClass::EndUserPseudonymized => 2,
        DataClass::CallStackOrException => 3,
        DataClass::PublicPersonal => 4,
        _ => 5,
    }
}

/// Every classification that differs between what was `recorded` and what is declared `now`,
/// in words, for paths both have.
pub(crate) fn changes(recorded: &Classifications, now: &Classifications) -> Vec<String> {
    recorded
        .iter()
        .filter_map(|(path, old)| {
            let new = now.get(path)?;
            (old != new).then(|| format!("`{path}`: {old} → {new}"))
        })
        .collect()
}

/// The catalogue's list of every field of a version's `schema`, in wire order (`order`): path,
/// type, whether always sent, class, purpose, whether hashed and description.
pub(crate) fn catalogue_entries(
    schema: &Value,
    order: &KeyOrder,
    classifications: &Classifications,
) -> Vec<Value> {
    walk(schema, schema, "", order, true)
        .into_iter()
        .map(|node| {
            let mut entry = json!({
                "path": node.path,
                "type": type_label(schema, &node.property, true),
                "required": node.required,
                "description": node.description(schema),
            });
            if let (Some(variant), Some(entry)) = (&node.variant, entry.as_object_mut()) {
                entry.insert("when".into(), variant.as_str().into());
            }
            if let (Some(classification), Some(entry)) =
                (classifications.get(&node.path), entry.as_object_mut())
            {
                entry.insert("class".into(), classification.class.name().into());
                entry.insert("purpose".into(), classification.purpose.name().into());
                entry.insert("hashed".into(), classification.hashed.into());
            }
            entry
        })
        .collect()
}

/// The classifications a catalogue's field list records.
///
/// # Errors
///
/// When an entry names an unknown class or purpose.
pub(crate) fn parse_entries(entries: &[Value]) -> Result<Classifications, String> {
    let mut classifications = Classifications::new();
    for entry in entries {
        let Some(path) = entry.get("path").and_then(Value::as_str) else {
            return Err("a field without `path`".into());
        };
        let (Some(class), Some(purpose)) = (
            entry.get("class").and_then(Value::as_str),
            entry.get("purpose").and_then(Value::as_str),
        ) else {
            continue;
        };
        let class = DataClass::from_name(class)
            .ok_or_else(|| format!("`{path}` has an unknown class `{class}`"))?;
        let purpose = Purpose::from_name(purpose)
            .ok_or_else(|| format!("`{path}` has an unknown purpose `{purpose}`"))?;
        let hashed = entry
            .get("hashed")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        classifications.insert(
            path.to_owned(),
            Classification {
                class,
                purpose,
                hashed,
            },
        );
    }
    Ok(classifications)
}

/// A short, human name for the type of values `schema` admits; with `constants`, a constant is
/// named by its value.
pub(crate) fn type_label(root: &Value, schema: &Value, constants: bool) -> String {
    let Some(schema) = resolve(root, schema) else {
        return "any".into();
    };
    if let (true, Some(value)) = (constants, schema.get("const")) {
        return format!("`{value}`");
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        let values: Vec<String> = values.iter().map(|value| format!("`{value}`")).collect();
        return match values.as_slice() {
            [] => "nothing".into(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        };
    }
    let kinds: Vec<&str> = match schema.get("type") {
        Some(Value::String(kind)) => vec![kind],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => return union_label(root, schema).unwrap_or_else(|| "any".into()),
    };
    let labels: Vec<String> = kinds
        .iter()
        .map(|kind| single_type_label(root, schema, kind))
        .collect();
    labels.join(" or ")
}

fn single_type_label(root: &Value, schema: &Value, kind: &str) -> String {
    match kind {
        "integer" => integer_label(schema),
        "string" if schema.get("format").and_then(Value::as_str) == Some("uuid") => {
            "string (UUID)".into()
        }
        "string" if schema.get("pattern").and_then(Value::as_str) == Some(HASH_PATTERN) => {
            "string (keyed hash)".into()
        }
        "array" => match (schema.get("items"), schema.get("prefixItems")) {
            (_, Some(Value::Array(elements))) => {
                let elements: Vec<String> = elements
                    .iter()
                    .map(|element| type_label(root, element, true))
                    .collect();
                format!("tuple of ({})", elements.join(", "))
            }
            (Some(items), _) => format!("array of {}", type_label(root, items, true)),
            (None, _) => "array".into(),
        },
        "object" => match schema.get("additionalProperties") {
            Some(values) if values.is_object() => {
                format!("map of string to {}", type_label(root, values, true))
            }
            _ => "object".into(),
        },
        other => other.into(),
    }
}

/// An enum's type in words, by its variants: a tagged one by its tag (whose own row lists the
/// values), an externally tagged one by its keys and unit variants, an untagged one by each
/// variant's type; `None` for a schema that is no enum.
fn union_label(root: &Value, schema: &Value) -> Option<String> {
    let alternatives = alternatives(root, schema);
    if alternatives.is_empty() {
        return None;
    }
    if let Some(tag) = tag(&alternatives) {
        let count = alternatives
            .iter()
            .filter(|alternative| tag_value(alternative, tag).is_some())
            .count();
        return Some(format!("object: one of {count} variants, by `{tag}`"));
    }
    let keys: Vec<String> = alternatives
        .iter()
        .filter_map(|alternative| external_key(alternative))
        .map(|key| format!("`{key}`"))
        .collect();
    let units: Vec<String> = alternatives
        .iter()
        .filter(|alternative| external_key(alternative).is_none())
        .map(|alternative| type_label(root, alternative, true))
        .collect();
    let externally_tagged = !keys.is_empty()
        && alternatives.iter().all(|alternative| {
            external_key(alternative).is_some()
                || alternative.get("const").is_some()
                || alternative.get("enum").is_some()
        });
    if externally_tagged {
        let object = format!("an object of one key: {}", or_list(&keys));
        return Some(if units.is_empty() {
            object
        } else {
            format!("{}, or {object}", or_list(&units))
        });
    }
    let labels: Vec<String> = alternatives
        .iter()
        .map(|alternative| type_label(root, alternative, true))
        .collect();
    Some(labels.join(" or "))
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The pattern of a [`Hashed`](telemetry_core::Hashed) value.
const HASH_PATTERN: &str = telemetry_core::HashKey::PATTERN;

/// An integer's range in words: `integer ≥ 0` up to what every consumer reads exactly,
/// `integer from -5 to 5` for other bounds.
fn integer_label(schema: &Value) -> String {
    let bound = |key| schema.get(key).and_then(Value::as_i64);
    match (bound("minimum"), bound("maximum")) {
        (Some(0), None | Some(super::standard::MAX_SAFE_INTEGER)) => "integer ≥ 0".into(),
        (Some(minimum), Some(maximum)) => format!("integer from {minimum} to {maximum}"),
        (Some(minimum), None) => format!("integer ≥ {minimum}"),
        (None, Some(maximum)) => format!("integer ≤ {maximum}"),
        (None, None) => "integer".into(),
    }
}

#[cfg(test)]
mod tests;
