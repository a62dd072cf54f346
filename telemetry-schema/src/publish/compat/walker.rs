//! The walk over two schemas side by side, depth first, that finds every [`Change`] between
//! them, following each schema's `$ref`s within itself.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::change::{Change, ChangeKind, relaxed, tightened};

/// How a keyword's value bounds what is valid.
#[derive(Clone, Copy)]
enum Bound {
    /// A larger value admits less: `minimum`, `minLength`, ...
    Lower,
    /// A larger value admits more: `maximum`, `maxLength`, ...
    Upper,
    /// Any change may admit less: `pattern`, `format`, `multipleOf`, `const`.
    Opaque,
    /// `true` admits less than absent or `false`: `uniqueItems`.
    Flag,
}

const CONSTRAINTS: &[(&str, Bound)] = &[
    ("minimum", Bound::Lower),
    ("exclusiveMinimum", Bound::Lower),
    ("maximum", Bound::Upper),
    ("exclusiveMaximum", Bound::Upper),
    ("minLength", Bound::Lower),
    ("maxLength", Bound::Upper),
    ("minItems", Bound::Lower),
    ("maxItems", Bound::Upper),
    ("minProperties", Bound::Lower),
    ("maxProperties", Bound::Upper),
    ("multipleOf", Bound::Opaque),
    ("pattern", Bound::Opaque),
    ("format", Bound::Opaque),
    ("const", Bound::Opaque),
    ("uniqueItems", Bound::Flag),
];

const JSON_TYPES: &[&str] = &[
    "array", "boolean", "integer", "null", "number", "object", "string",
];

/// The walk's state: both roots, for `$ref`s, and the changes found so far.
pub(super) struct Walker<'a> {
    pub(super) old_root: &'a Value,
    pub(super) new_root: &'a Value,
    pub(super) changes: Vec<Change>,
    /// `$ref` pairs being compared, so that recursive types are compared once.
    pub(super) visiting: Vec<(String, String)>,
}

impl Walker<'_> {
    fn push(&mut self, path: &str, kind: ChangeKind) {
        self.changes.push(Change {
            path: path.to_owned(),
            kind,
        });
    }

    /// Compares `old` and `new`, found at `path`, and everything under them.
    pub(super) fn compare(&mut self, path: &str, old: &Value, new: &Value) {
        let old_ref = reference(old);
        let new_ref = reference(new);
        let pair = (
            old_ref.unwrap_or_default().to_owned(),
            new_ref.unwrap_or_default().to_owned(),
        );
        if (old_ref.is_some() || new_ref.is_some()) && self.visiting.contains(&pair) {
            return;
        }
        let old = effective(self.old_root, old);
        let new = effective(self.new_root, new);
        self.visiting.push(pair);
        self.compare_effective(path, &old, &new);
        self.visiting.pop();
    }

    fn compare_effective(
        &mut self,
        path: &str,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
    ) {
        if old.get("title") != new.get("title") || old.get("description") != new.get("description")
        {
            self.push(path, ChangeKind::DescriptionChanged);
        }
        if old.get("$id") != new.get("$id") {
            self.push(path, ChangeKind::IdChanged);
        }
        self.compare_types(path, old, new);
        self.compare_enums(path, old, new);
        for (keyword, bound) in CONSTRAINTS {
            self.compare_constraint(path, keyword, *bound, old.get(*keyword), new.get(*keyword));
        }
        self.compare_properties(path, old, new);
        self.compare_additional_properties(path, old, new);
        if let (Some(old_names), Some(new_names)) =
            (old.get("propertyNames"), new.get("propertyNames"))
        {
            self.compare(&join(path, "(keys)"), old_names, new_names);
        } else {
            self.compare_presence(
                path,
                "propertyNames",
                old.get("propertyNames"),
                new.get("propertyNames"),
            );
        }
        if let (Some(old_items), Some(new_items)) = (old.get("items"), new.get("items")) {
            self.compare(&format!("{path}[]"), old_items, new_items);
        } else {
            self.compare_presence(path, "items", old.get("items"), new.get("items"));
        }
        for keyword in ["oneOf", "anyOf", "allOf"] {
            self.compare_alternatives(path, keyword, old.get(keyword), new.get(keyword));
        }
    }

    fn compare_types(&mut self, path: &str, old: &Map<String, Value>, new: &Map<String, Value>) {
        let old_types = types(old);
        let new_types = types(new);
        if old_types == new_types {
            return;
        }
        let widened = old_types.iter().all(|kind| {
            new_types.contains(kind) || (*kind == "integer" && new_types.contains("number"))
        });
        self.push(
            path,
            ChangeKind::TypeChanged {
                from: describe_types(&old_types),
                to: describe_types(&new_types),
                widened,
            },
        );
    }

    fn compare_enums(&mut self, path: &str, old: &Map<String, Value>, new: &Map<String, Value>) {
        match (
            old.get("enum").and_then(Value::as_array),
            new.get("enum").and_then(Value::as_array),
        ) {
            (Some(old_values), Some(new_values)) => {
                let removed: Vec<Value> = old_values
                    .iter()
                    .filter(|v| !new_values.contains(v))
                    .cloned()
                    .collect();
                let added: Vec<Value> = new_values
                    .iter()
                    .filter(|v| !old_values.contains(v))
                    .cloned()
                    .collect();
                if !removed.is_empty() {
                    self.push(path, ChangeKind::EnumNarrowed { removed });
                }
                if !added.is_empty() {
                    self.push(path, ChangeKind::EnumWidened { added });
                }
            }
            (old_values, new_values) => {
                self.compare_presence(
                    path,
                    "enum",
                    old_values.map(|_| &old["enum"]),
                    new_values.map(|_| &new["enum"]),
                );
            }
        }
    }

    /// A keyword that only exists on one side: added tightens, removed relaxes.
    fn compare_presence(
        &mut self,
        path: &str,
        keyword: &str,
        old: Option<&Value>,
        new: Option<&Value>,
    ) {
        match (old, new) {
            (None, Some(to)) => self.push(path, tightened(keyword, None, Some(to))),
            (Some(from), None) => self.push(path, relaxed(keyword, Some(from), None)),
            _ => {}
        }
    }

    fn compare_constraint(
        &mut self,
        path: &str,
        keyword: &str,
        bound: Bound,
        old: Option<&Value>,
        new: Option<&Value>,
    ) {
        if old == new {
            return;
        }
        let flag = |value: Option<&Value>| value.and_then(Value::as_bool).unwrap_or(false);
        if matches!(bound, Bound::Flag) && flag(old) == flag(new) {
            return;
        }
        let tightens = match (bound, old, new) {
            (Bound::Flag, _, _) => flag(new),
            (_, Some(_), None) => false,
            (_, None, Some(_)) | (Bound::Opaque, _, _) => true,
            (Bound::Lower | Bound::Upper, Some(from), Some(to)) => {
                let (Some(from), Some(to)) = (from.as_f64(), to.as_f64()) else {
                    return self.push(path, tightened(keyword, old, new));
                };
                matches!(bound, Bound::Lower) == (to > from)
            }
            (_, None, None) => return,
        };
        let kind = if tightens {
            tightened(keyword, old, new)
        } else {
            relaxed(keyword, old, new)
        };
        self.push(path, kind);
    }

    fn compare_properties(
        &mut self,
        path: &str,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
    ) {
        let empty = Map::new();
        let old_properties = old
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let new_properties = new
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let old_required = required(old);
        let new_required = required(new);
        let new_closed = new.get("additionalProperties") == Some(&Value::Bool(false));
        // Keys of the old schema, then keys only the new one has; each group sorted, as JSON
        // maps are here.
        let keys = old_properties.keys().chain(
            new_properties
                .keys()
                .filter(|key| !old_properties.contains_key(*key)),
        );
        for key in keys {
            let child = join(path, key);
            match (old_properties.get(key), new_properties.get(key)) {
                (Some(_), None) => self.push(&child, ChangeKind::KeyRemoved { closed: new_closed }),
                (None, Some(_)) => self.push(
                    &child,
                    ChangeKind::KeyAdded {
                        required: new_required.contains(key.as_str()),
                    },
                ),
                (Some(old_property), Some(new_property)) => {
                    match (
                        old_required.contains(key.as_str()),
                        new_required.contains(key.as_str()),
                    ) {
                        (false, true) => self.push(&child, ChangeKind::BecameRequired),
                        (true, false) => self.push(&child, ChangeKind::BecameOptional),
                        _ => {}
                    }
                    self.compare(&child, old_property, new_property);
                }
                (None, None) => {}
            }
        }
    }

    fn compare_additional_properties(
        &mut self,
        path: &str,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
    ) {
        let old_additional = old.get("additionalProperties");
        let new_additional = new.get("additionalProperties");
        if old_additional == new_additional {
            return;
        }
        let admits_any = |value: Option<&Value>| value.is_none_or(|v| *v == Value::Bool(true));
        let admits_none = |value: Option<&Value>| value == Some(&Value::Bool(false));
        match (old_additional, new_additional) {
            (Some(old_values @ Value::Object(_)), Some(new_values @ Value::Object(_))) => {
                self.compare(&join(path, "*"), old_values, new_values);
            }
            _ if admits_none(old_additional) || admits_any(new_additional) => {
                self.push(
                    path,
                    relaxed("additionalProperties", old_additional, new_additional),
                );
            }
            _ => self.push(
                path,
                tightened("additionalProperties", old_additional, new_additional),
            ),
        }
    }

    fn compare_alternatives(
        &mut self,
        path: &str,
        keyword: &str,
        old: Option<&Value>,
        new: Option<&Value>,
    ) {
        match (old.and_then(Value::as_array), new.and_then(Value::as_array)) {
            (Some(old_branches), Some(new_branches))
                if old_branches.len() == new_branches.len() =>
            {
                for (old_branch, new_branch) in old_branches.iter().zip(new_branches) {
                    self.compare(path, old_branch, new_branch);
                }
            }
            (None, None) => {}
            _ => self.push(
                path,
                ChangeKind::AlternativesChanged {
                    keyword: keyword.to_owned(),
                },
            ),
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn reference(schema: &Value) -> Option<&str> {
    schema.get("$ref").and_then(Value::as_str)
}

/// A schema with its `$ref` chain followed: the target's keywords, overridden by those written
/// next to the `$ref` (a field's own description, say). `true` is the empty object.
fn effective(root: &Value, schema: &Value) -> Map<String, Value> {
    let mut merged = Map::new();
    let mut current = Some(schema);
    let mut hops = 0;
    while let Some(schema) = current.take() {
        if let Some(object) = schema.as_object() {
            for (key, value) in object {
                if key != "$ref" && !merged.contains_key(key) {
                    merged.insert(key.clone(), value.clone());
                }
            }
        }
        hops += 1;
        current = reference(schema)
            .filter(|_| hops < 32)
            .and_then(|reference| root.pointer(reference.strip_prefix('#')?));
    }
    merged
}

/// The JSON types a schema admits: its `type`, or every type when it has none.
fn types(schema: &Map<String, Value>) -> BTreeSet<&str> {
    match schema.get("type") {
        Some(Value::String(kind)) => BTreeSet::from([kind.as_str()]),
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => JSON_TYPES.iter().copied().collect(),
    }
}

fn describe_types(types: &BTreeSet<&str>) -> String {
    if types.len() == JSON_TYPES.len() {
        return "any".into();
    }
    types
        .iter()
        .map(|kind| format!("`{kind}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

fn required(schema: &Map<String, Value>) -> BTreeSet<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}
