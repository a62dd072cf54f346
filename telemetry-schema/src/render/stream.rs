//! The stream schema: one JSON Schema that accepts any payload of any known event version and
//! rejects everything else, made for the tools of the people who receive the data.
//!
//! - **Discriminated** by `eventType` and `schemaVersion` with `if`/`then`, not `oneOf`: a
//!   validator checks a payload against its own event version only, so one wrong field gives one
//!   error there (ajv adds one "must match then schema" per condition), and an unknown
//!   `eventType` or version one error naming the known ones.
//! - **Flat, stable names**: every definition is at the top of `$defs`, titled with its name,
//!   which has no dot: `<EventType>V<N>` is a version's envelope, `<EventType>V<N>Data` its
//!   `eventData`, and the types they use keep their own names (`CommandOption`, `Attributes`),
//!   shared by every version that uses the same shape. A type whose shape differs from the one
//!   that has its name already is `<EventType>V<N><Name>`. Names are recorded in the catalogue
//!   and never change when events are added.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::json::{pretty, with_marker};
use crate::config::Config;
use crate::model::version::EventVersion;

/// The `$schema` of every generated schema.
pub(crate) const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// The path of the stream schema in the `schemas/` folder, for its `$id`.
pub(crate) const ID_PATH: &str = "telemetry.schema.json";

/// For each version (in the order given), its definitions' names in the stream schema: local
/// name to stream name. A version's recorded names ([`EventVersion::definition_names`]) are kept.
pub fn definition_names(versions: &[EventVersion]) -> Vec<BTreeMap<String, String>> {
    let mut taken = Taken::default();
    for (index, version) in versions.iter().enumerate() {
        taken.insert(envelope_name(version), index, String::new());
        taken.insert(data_name(version), index, String::new());
    }
    let mut names: Vec<BTreeMap<String, String>> = vec![BTreeMap::new(); versions.len()];
    // Recorded names first, so that new versions never take them.
    for (index, version) in versions.iter().enumerate() {
        let locals = local_definitions(version);
        for (local, global) in &version.definition_names {
            if locals.contains(local) && !taken.owners.contains_key(global) {
                taken.insert(global.clone(), index, local.clone());
                names[index].insert(local.clone(), global.clone());
            }
        }
    }
    for (index, version) in versions.iter().enumerate() {
        let data = data_definition(version);
        for local in local_definitions(version) {
            if names[index].contains_key(&local) {
                continue;
            }
            let global = if data.as_deref() == Some(local.as_str()) {
                data_name(version)
            } else {
                let shape = deep(&version.schema, &local);
                // The first name taken (in name order) for a definition of this local name and
                // this shape.
                let shared = taken.by_local.get(&local).and_then(|globals| {
                    globals.iter().find(|global| {
                        taken
                            .owners
                            .get(*global)
                            .is_some_and(|(owner, owner_local)| {
                                deep(&versions[*owner].schema, owner_local) == shape
                            })
                    })
                });
                match shared {
                    Some(global) => global.clone(),
                    None if !taken.owners.contains_key(&local) => local.clone(),
                    None => {
                        let mut qualified = format!("{}{local}", envelope_name(version));
                        while taken.owners.contains_key(&qualified) {
                            qualified.push('_');
                        }
                        qualified
                    }
                }
            };
            if !taken.owners.contains_key(&global) {
                taken.insert(global.clone(), index, local.clone());
            }
            names[index].insert(local, global);
        }
    }
    names
}

/// The stream's definition names taken so far.
#[derive(Default)]
struct Taken {
    /// Each name, with the version that took it and that version's own name for the definition
    /// (empty for the envelopes and the event data).
    owners: BTreeMap<String, (usize, String)>,
    /// The names taken for each own name, in name order: where a definition looks for one it
    /// can share, without going through every name taken (which made naming grow with the
    /// square of the events).
    by_local: BTreeMap<String, BTreeSet<String>>,
}

impl Taken {
    fn insert(&mut self, global: String, owner: usize, local: String) {
        if let Some((_, previous)) = self.owners.get(&global)
            && let Some(globals) = self.by_local.get_mut(previous)
        {
            globals.remove(&global);
        }
        if !local.is_empty() {
            self.by_local
                .entry(local.clone())
                .or_default()
                .insert(global.clone());
        }
        self.owners.insert(global, (owner, local));
    }
}

/// `<EventType>V<N>`: a version's envelope in the stream schema.
pub fn envelope_name(version: &EventVersion) -> String {
    format!("{}V{}", version.event_type, version.version)
}

/// `<EventType>V<N>Data`: a version's `eventData` in the stream schema.
fn data_name(version: &EventVersion) -> String {
    format!("{}Data", envelope_name(version))
}

/// The names of a version's own definitions.
fn local_definitions(version: &EventVersion) -> BTreeSet<String> {
    version
        .schema
        .get("$defs")
        .and_then(Value::as_object)
        .map(|definitions| definitions.keys().cloned().collect())
        .unwrap_or_default()
}

/// The local name of the definition `eventData` refers to.
fn data_definition(version: &EventVersion) -> Option<String> {
    version
        .schema
        .pointer("/properties/eventData/$ref")
        .and_then(Value::as_str)?
        .strip_prefix("#/$defs/")
        .map(str::to_owned)
}

/// A definition with every definition it refers to put in place (a type containing itself is
/// put once), without titles: what two definitions must share to be one type.
fn deep(root: &Value, name: &str) -> Value {
    fn expand(root: &Value, value: &Value, visiting: &mut Vec<String>) -> Value {
        match value {
            Value::Object(object) => {
                let mut out = Map::new();
                for (key, value) in object {
                    match key.as_str() {
                        "title" => {}
                        "$ref" => {
                            let target = value
                                .as_str()
                                .and_then(|reference| reference.strip_prefix("#/$defs/"))
                                .unwrap_or_default()
                                .to_owned();
                            let expanded = if visiting.contains(&target) {
                                json!({ "recursive": target })
                            } else {
                                visiting.push(target.clone());
                                let definition = root
                                    .pointer(&format!("/$defs/{target}"))
                                    .cloned()
                                    .unwrap_or(Value::Null);
                                let expanded = expand(root, &definition, visiting);
                                visiting.pop();
                                expanded
                            };
                            out.insert("$ref".into(), expanded);
                        }
                        "const" | "enum" | "default" | "examples" => {
                            out.insert(key.clone(), value.clone());
                        }
                        _ => {
                            out.insert(key.clone(), expand(root, value, visiting));
                        }
                    }
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| expand(root, item, visiting))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let definition = root
        .pointer(&format!("/$defs/{name}"))
        .cloned()
        .unwrap_or(Value::Null);
    expand(root, &definition, &mut vec![name.to_owned()])
}

/// The schema of the whole stream, its definitions named by [`definition_names`].
pub fn stream_schema(versions: &[EventVersion], config: &Config) -> Value {
    stream_schema_named(versions, &definition_names(versions), config)
}

/// The stream schema's file: [`stream_schema_named`], marked as generated.
pub(crate) fn file(
    versions: &[EventVersion],
    names: &[BTreeMap<String, String>],
    config: &Config,
) -> String {
    pretty(&with_marker(stream_schema_named(versions, names, config)))
}

/// [`stream_schema`] with the names given: `names[i]` for `versions[i]`.
pub fn stream_schema_named(
    versions: &[EventVersion],
    names: &[BTreeMap<String, String>],
    config: &Config,
) -> Value {
    let mut definitions = Map::new();
    let mut conditions = Vec::new();
    let mut by_type: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (version, names) in versions.iter().zip(names) {
        by_type
            .entry(&version.event_type)
            .or_default()
            .push(version.version);
        let envelope = envelope_name(version);
        let mut schema = version.schema.clone();
        let own = schema
            .as_object_mut()
            .and_then(|object| object.remove("$defs"));
        if let Some(object) = schema.as_object_mut() {
            // Only a resource's root declares `$schema` and `$id`.
            object.remove("$schema");
            object.remove("$id");
            object.remove("$comment");
            object.insert("title".into(), envelope.clone().into());
        }
        rename_references(&mut schema, names);
        definitions.insert(envelope.clone(), schema);
        for (local, mut definition) in own
            .and_then(|own| own.as_object().cloned())
            .into_iter()
            .flatten()
        {
            let Some(global) = names.get(&local) else {
                continue;
            };
            if definitions.contains_key(global) {
                continue;
            }
            rename_references(&mut definition, names);
            if let Some(object) = definition.as_object_mut() {
                object.insert("title".into(), global.clone().into());
            }
            definitions.insert(global.clone(), definition);
        }
        conditions.push(json!({
            "if": {
                "properties": {
                    "eventType": { "const": version.event_type },
                    "schemaVersion": { "const": version.version },
                },
                "required": ["eventType", "schemaVersion"],
            },
            "then": { "$ref": format!("#/$defs/{envelope}") },
        }));
    }
    // Known event types, each with its known versions, before the versions themselves: a wrong
    // `schemaVersion` is one error naming the right ones.
    let versions_of_each: Vec<Value> = by_type
        .iter()
        .map(|(event_type, versions)| {
            json!({
                "if": {
                    "properties": { "eventType": { "const": event_type } },
                    "required": ["eventType"],
                },
                "then": { "properties": { "schemaVersion": { "enum": versions } } },
            })
        })
        .collect();
    let event_types: Vec<&str> = by_type.keys().copied().collect();
    json!({
        "$schema": DRAFT_2020_12,
        "$id": config.schema_id(ID_PATH),
        "title": "TelemetryEvent",
        "description": "Any payload of any known event version: `eventType` and `schemaVersion` select the event version whose schema the payload must match (`$defs` holds each version's envelope as `<EventType>V<N>`).",
        "type": "object",
        "properties": {
            "eventType": { "description": "Type of event.", "enum": event_types },
            "schemaVersion": {
                "description": "Version of the event's schema.",
                "type": "integer",
                "minimum": 1,
                "maximum": u32::MAX,
            },
        },
        "required": ["eventType", "schemaVersion"],
        "allOf": versions_of_each.into_iter().chain(conditions).collect::<Vec<_>>(),
        "$defs": definitions,
    })
}

/// Rewrites every local reference (`#/$defs/<local>`) in `schema` to its stream name. Values of
/// keywords that hold data rather than schemas are left alone.
fn rename_references(schema: &mut Value, names: &BTreeMap<String, String>) {
    match schema {
        Value::Object(object) => {
            for (key, value) in object.iter_mut() {
                match key.as_str() {
                    "$ref" => {
                        let renamed = value
                            .as_str()
                            .and_then(|reference| reference.strip_prefix("#/$defs/"))
                            .and_then(|local| names.get(local));
                        if let Some(global) = renamed {
                            *value = Value::String(format!("#/$defs/{global}"));
                        }
                    }
                    "const" | "enum" | "default" | "examples" => {}
                    _ => rename_references(value, names),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| rename_references(item, names)),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
