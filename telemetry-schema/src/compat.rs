//! Classifies the changes between two JSON Schemas, with the rules of a closed content model
//! (as in `SchemaVer` and Confluent's schema registry): a change is *compatible* when every payload
//! valid under the old schema is still valid under the new one, and *breaking* otherwise.
//!
//! ```
//! use serde_json::json;
//! use telemetry_schema::compat::{Compatibility, classify};
//!
//! let old = json!({ "type": "object", "properties": { "a": { "type": "string" } },
//!                   "required": ["a"], "additionalProperties": false });
//! let new = json!({ "type": "object", "properties": { "a": { "type": "string" }, "b": { "type": "integer" } },
//!                   "required": ["a"], "additionalProperties": false });
//! let changes = classify(&old, &new);
//! assert_eq!(changes.len(), 1);
//! assert_eq!(changes[0].to_string(), "`b`: optional key added (compatible)");
//! assert_eq!(changes[0].compatibility(), Compatibility::Compatible);
//! ```

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

/// Whether a change keeps old payloads valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Compatibility {
    /// Every payload valid before is valid after.
    Compatible,
    /// Some payload valid before is invalid after.
    Breaking,
}

impl fmt::Display for Compatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compatibility::Compatible => "compatible",
            Compatibility::Breaking => "breaking",
        })
    }
}

/// One change between two schemas, at one place in the payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Where in the payload: `eventData.image`, `eventData.commandOptions[].name`,
    /// `attributes.extra.*` (a map's values); empty for the root.
    pub path: String,
    /// What changed.
    pub kind: ChangeKind,
}

/// The kinds of change the classifier recognises.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ChangeKind {
    /// A key was added to an object.
    KeyAdded {
        /// Whether payloads must now carry it.
        required: bool,
    },
    /// A key was removed from an object.
    KeyRemoved {
        /// Whether the new object rejects unknown keys, so that payloads with the key fail.
        closed: bool,
    },
    /// A key that could be absent must now be present.
    BecameRequired,
    /// A key that had to be present may now be absent.
    BecameOptional,
    /// The JSON types admitted changed.
    TypeChanged {
        /// The types before, like `integer` or `string or null`.
        from: String,
        /// The types after.
        to: String,
        /// Whether every type admitted before still is.
        widened: bool,
    },
    /// Values were added to an `enum`.
    EnumWidened {
        /// The values added.
        added: Vec<Value>,
    },
    /// Values were removed from an `enum`.
    EnumNarrowed {
        /// The values removed.
        removed: Vec<Value>,
    },
    /// A validation keyword now admits fewer values (or was added).
    ConstraintTightened {
        /// The keyword: `maximum`, `pattern`, `additionalProperties`, ...
        keyword: String,
        /// Its value before, if any.
        from: Option<Value>,
        /// Its value after, if any.
        to: Option<Value>,
    },
    /// A validation keyword now admits more values (or was removed).
    ConstraintRelaxed {
        /// The keyword.
        keyword: String,
        /// Its value before, if any.
        from: Option<Value>,
        /// Its value after, if any.
        to: Option<Value>,
    },
    /// The `title` or `description` changed.
    DescriptionChanged,
    /// The schema's identifier, `$id`, changed.
    IdChanged,
    /// The alternatives of `oneOf`, `anyOf` or `allOf` changed in a way not analysed further.
    AlternativesChanged {
        /// The keyword.
        keyword: String,
    },
}

impl Change {
    /// Whether only what the schema says about values changed (a title or a description), not
    /// which values are valid: such a change may be made to a published version.
    pub fn is_annotation(&self) -> bool {
        matches!(
            self.kind,
            ChangeKind::DescriptionChanged | ChangeKind::IdChanged
        )
    }

    /// Whether old payloads stay valid.
    pub fn compatibility(&self) -> Compatibility {
        use ChangeKind as K;
        match &self.kind {
            K::KeyAdded { required: false }
            | K::KeyRemoved { closed: false }
            | K::BecameOptional
            | K::TypeChanged { widened: true, .. }
            | K::EnumWidened { .. }
            | K::ConstraintRelaxed { .. }
            | K::DescriptionChanged
            | K::IdChanged => Compatibility::Compatible,
            K::KeyAdded { required: true }
            | K::KeyRemoved { closed: true }
            | K::BecameRequired
            | K::TypeChanged { widened: false, .. }
            | K::EnumNarrowed { .. }
            | K::ConstraintTightened { .. }
            | K::AlternativesChanged { .. } => Compatibility::Breaking,
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangeKind::KeyAdded { required: true } => f.write_str("required key added"),
            ChangeKind::KeyAdded { required: false } => f.write_str("optional key added"),
            ChangeKind::KeyRemoved { .. } => f.write_str("key removed"),
            ChangeKind::BecameRequired => f.write_str("key became required"),
            ChangeKind::BecameOptional => f.write_str("key became optional"),
            ChangeKind::TypeChanged { from, to, widened } => {
                let what = if *widened {
                    "type widened"
                } else {
                    "type changed"
                };
                write!(f, "{what} from {from} to {to}")
            }
            ChangeKind::EnumWidened { added } => write!(f, "enum widened with {}", values(added)),
            ChangeKind::EnumNarrowed { removed } => {
                write!(f, "enum narrowed, without {}", values(removed))
            }
            ChangeKind::ConstraintTightened { keyword, from, to } => {
                write!(
                    f,
                    "constraint tightened: `{keyword}` {}",
                    transition(from.as_ref(), to.as_ref())
                )
            }
            ChangeKind::ConstraintRelaxed { keyword, from, to } => {
                write!(
                    f,
                    "constraint relaxed: `{keyword}` {}",
                    transition(from.as_ref(), to.as_ref())
                )
            }
            ChangeKind::DescriptionChanged => f.write_str("description changed"),
            ChangeKind::IdChanged => f.write_str("`$id` changed"),
            ChangeKind::AlternativesChanged { keyword } => {
                write!(f, "alternatives of `{keyword}` changed")
            }
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(root)"
        } else {
            &self.path
        };
        write!(f, "`{path}`: {} ({})", self.kind, self.compatibility())
    }
}

fn values(values: &[Value]) -> String {
    values
        .iter()
        .map(|value| format!("`{value}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn transition(from: Option<&Value>, to: Option<&Value>) -> String {
    match (from, to) {
        (Some(from), Some(to)) => format!("from `{from}` to `{to}`"),
        (None, Some(to)) => format!("added: `{to}`"),
        (Some(from), None) => format!("removed (was `{from}`)"),
        (None, None) => String::new(),
    }
}

/// The worst compatibility among `changes`; `None` when there are none.
pub fn overall(changes: &[Change]) -> Option<Compatibility> {
    changes.iter().map(Change::compatibility).max()
}

/// Every change from `old` to `new`, depth first, keys in sorted order. Each schema's `$ref`s
/// resolve within itself (`#/$defs/...`), so definitions may be renamed or moved freely.
pub fn classify(old: &Value, new: &Value) -> Vec<Change> {
    let mut walker = Walker {
        old_root: old,
        new_root: new,
        changes: Vec::new(),
        visiting: Vec::new(),
    };
    walker.compare("", old, new);
    walker.changes
}

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

struct Walker<'a> {
    old_root: &'a Value,
    new_root: &'a Value,
    changes: Vec<Change>,
    /// `$ref` pairs being compared, so that recursive types are compared once.
    visiting: Vec<(String, String)>,
}

impl Walker<'_> {
    fn push(&mut self, path: &str, kind: ChangeKind) {
        self.changes.push(Change {
            path: path.to_owned(),
            kind,
        });
    }

    fn compare(&mut self, path: &str, old: &Value, new: &Value) {
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

fn tightened(keyword: &str, from: Option<&Value>, to: Option<&Value>) -> ChangeKind {
    ChangeKind::ConstraintTightened {
        keyword: keyword.to_owned(),
        from: from.cloned(),
        to: to.cloned(),
    }
}

fn relaxed(keyword: &str, from: Option<&Value>, to: Option<&Value>) -> ChangeKind {
    ChangeKind::ConstraintRelaxed {
        keyword: keyword.to_owned(),
        from: from.cloned(),
        to: to.cloned(),
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{Change, ChangeKind, Compatibility, classify, overall};

    /// `(path, description)` of every change, for compact assertions.
    fn described(old: &Value, new: &Value) -> Vec<String> {
        classify(old, new).iter().map(Change::to_string).collect()
    }

    #[allow(clippy::needless_pass_by_value)] // takes `json!(...)` as written
    fn object(properties: Value, required: &[&str]) -> Value {
        json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
    }

    #[test]
    fn identical_schemas_have_no_changes() {
        let schema = object(json!({ "a": { "type": "string" } }), &["a"]);
        assert!(classify(&schema, &schema).is_empty());
        assert_eq!(overall(&[]), None);
    }

    #[test]
    fn keys_added_removed_and_changing_requiredness() {
        let old = object(
            json!({ "kept": {}, "gone": {}, "loose": {}, "strict": {} }),
            &["kept", "strict"],
        );
        let new = object(
            json!({ "kept": {}, "loose": {}, "strict": {}, "opt": {}, "req": {} }),
            &["kept", "loose", "req"],
        );
        assert_eq!(
            described(&old, &new),
            [
                "`gone`: key removed (breaking)",
                "`loose`: key became required (breaking)",
                "`strict`: key became optional (compatible)",
                "`opt`: optional key added (compatible)",
                "`req`: required key added (breaking)",
            ]
        );
    }

    #[test]
    fn removing_a_key_from_an_open_object_is_compatible() {
        let old = json!({ "type": "object", "properties": { "a": {} } });
        let new = json!({ "type": "object", "properties": {} });
        let changes = classify(&old, &new);
        assert_eq!(changes[0].kind, ChangeKind::KeyRemoved { closed: false });
        assert_eq!(changes[0].compatibility(), Compatibility::Compatible);
    }

    #[test]
    fn types_widened_and_changed() {
        let cases = [
            (
                json!({ "type": "integer" }),
                json!({ "type": "number" }),
                "`(root)`: type widened from `integer` to `number` (compatible)",
            ),
            (
                json!({ "type": "string" }),
                json!({ "type": ["null", "string"] }),
                "`(root)`: type widened from `string` to `null` or `string` (compatible)",
            ),
            (
                json!({ "type": ["null", "string"] }),
                json!({ "type": "string" }),
                "`(root)`: type changed from `null` or `string` to `string` (breaking)",
            ),
            (
                json!({ "type": "string" }),
                json!({ "type": "integer" }),
                "`(root)`: type changed from `string` to `integer` (breaking)",
            ),
            (
                json!({ "type": "string" }),
                json!({}),
                "`(root)`: type widened from `string` to any (compatible)",
            ),
        ];
        for (old, new, expected) in cases {
            assert_eq!(described(&old, &new), [expected]);
        }
    }

    #[test]
    fn enums_widened_narrowed_added_and_removed() {
        let old = json!({ "type": "string", "enum": ["a", "b"] });
        assert_eq!(
            described(&old, &json!({ "type": "string", "enum": ["a", "b", "c"] })),
            ["`(root)`: enum widened with `\"c\"` (compatible)"]
        );
        assert_eq!(
            described(&old, &json!({ "type": "string", "enum": ["a", "c"] })),
            [
                "`(root)`: enum narrowed, without `\"b\"` (breaking)",
                "`(root)`: enum widened with `\"c\"` (compatible)"
            ]
        );
        assert_eq!(
            described(&old, &json!({ "type": "string" })),
            ["`(root)`: constraint relaxed: `enum` removed (was `[\"a\",\"b\"]`) (compatible)"]
        );
        assert_eq!(
            described(&json!({ "type": "string" }), &old),
            ["`(root)`: constraint tightened: `enum` added: `[\"a\",\"b\"]` (breaking)"]
        );
    }

    #[test]
    fn numeric_and_length_bounds_tighten_and_relax_in_the_right_direction() {
        let cases = [
            ("minimum", 0, 1, Compatibility::Breaking),
            ("minimum", 1, 0, Compatibility::Compatible),
            ("maximum", 10, 5, Compatibility::Breaking),
            ("maximum", 5, 10, Compatibility::Compatible),
            ("maxLength", 64, 32, Compatibility::Breaking),
            ("minItems", 0, 2, Compatibility::Breaking),
            ("maxProperties", 32, 64, Compatibility::Compatible),
        ];
        for (keyword, from, to, compatibility) in cases {
            let changes = classify(&json!({ keyword: from }), &json!({ keyword: to }));
            assert_eq!(changes.len(), 1, "{keyword}");
            assert_eq!(
                changes[0].compatibility(),
                compatibility,
                "{keyword} {from} -> {to}"
            );
        }
        assert_eq!(
            described(
                &json!({ "type": "string" }),
                &json!({ "type": "string", "maxLength": 8 })
            ),
            ["`(root)`: constraint tightened: `maxLength` added: `8` (breaking)"]
        );
        assert_eq!(
            described(
                &json!({ "type": "string", "pattern": "^a" }),
                &json!({ "type": "string" })
            ),
            ["`(root)`: constraint relaxed: `pattern` removed (was `\"^a\"`) (compatible)"]
        );
        assert_eq!(
            described(&json!({ "pattern": "^a" }), &json!({ "pattern": "^b" })),
            ["`(root)`: constraint tightened: `pattern` from `\"^a\"` to `\"^b\"` (breaking)"]
        );
        assert_eq!(
            described(&json!({ "const": 1 }), &json!({ "const": 2 })),
            ["`(root)`: constraint tightened: `const` from `1` to `2` (breaking)"]
        );
        assert!(classify(&json!({}), &json!({ "uniqueItems": false })).is_empty());
        assert_eq!(
            classify(&json!({}), &json!({ "uniqueItems": true }))[0].compatibility(),
            Compatibility::Breaking
        );
    }

    #[test]
    fn nested_objects_arrays_and_maps_report_their_path() {
        let old = object(
            json!({
                "data": object(json!({ "image": { "type": "string" } }), &["image"]),
                "options": { "type": "array", "items": object(json!({ "name": { "type": "string" } }), &["name"]) },
                "extra": { "type": "object", "additionalProperties": { "type": "string", "maxLength": 256 } },
            }),
            &["data", "options", "extra"],
        );
        let new = object(
            json!({
                "data": object(json!({ "image": { "type": "string" }, "stage": { "type": "string" } }), &["image"]),
                "options": { "type": "array", "items": object(json!({ "name": { "type": "integer" } }), &["name"]) },
                "extra": { "type": "object", "additionalProperties": { "type": "string", "maxLength": 128 } },
            }),
            &["data", "options", "extra"],
        );
        assert_eq!(
            described(&old, &new),
            [
                "`data.stage`: optional key added (compatible)",
                "`extra.*`: constraint tightened: `maxLength` from `256` to `128` (breaking)",
                "`options[].name`: type changed from `string` to `integer` (breaking)",
            ]
        );
    }

    #[test]
    fn closing_and_opening_objects() {
        let open = json!({ "type": "object", "properties": {} });
        let closed = json!({ "type": "object", "properties": {}, "additionalProperties": false });
        assert_eq!(
            classify(&open, &closed)[0].compatibility(),
            Compatibility::Breaking
        );
        assert_eq!(
            classify(&closed, &open)[0].compatibility(),
            Compatibility::Compatible
        );
    }

    #[test]
    fn references_are_followed_and_renamed_definitions_are_no_change() {
        let old = json!({
            "type": "object",
            "properties": { "source": { "$ref": "#/$defs/Source", "description": "Where from." } },
            "required": ["source"],
            "$defs": { "Source": { "type": "string", "enum": ["repo", "secondary", ""] } },
        });
        let renamed = json!({
            "type": "object",
            "properties": { "source": { "$ref": "#/$defs/BaseImageSource", "description": "Where from." } },
            "required": ["source"],
            "$defs": { "BaseImageSource": { "type": "string", "enum": ["repo", "secondary", ""] } },
        });
        assert!(classify(&old, &renamed).is_empty());

        let narrowed = json!({
            "type": "object",
            "properties": { "source": { "$ref": "#/$defs/Source", "description": "Where it came from." } },
            "required": ["source"],
            "$defs": { "Source": { "type": "string", "enum": ["repo", "secondary"] } },
        });
        assert_eq!(
            described(&old, &narrowed),
            [
                "`source`: description changed (compatible)",
                "`source`: enum narrowed, without `\"\"` (breaking)",
            ]
        );
    }

    #[test]
    fn recursive_definitions_terminate() {
        let tree = |extra: Value| {
            json!({
                "$ref": "#/$defs/Node",
                "$defs": { "Node": { "type": "object", "properties": { "children": { "type": "array", "items": { "$ref": "#/$defs/Node" } }, "extra": extra } } },
            })
        };
        let changes = classify(
            &tree(json!({ "type": "string" })),
            &tree(json!({ "type": "integer" })),
        );
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].path, "extra");
    }

    #[test]
    fn alternatives_compare_pairwise_or_report_a_change() {
        let old = json!({ "oneOf": [{ "type": "string" }, { "type": "integer" }] });
        let same_shape = json!({ "oneOf": [{ "type": "string" }, { "type": "number" }] });
        assert_eq!(
            described(&old, &same_shape),
            ["`(root)`: type widened from `integer` to `number` (compatible)"]
        );
        let fewer = json!({ "oneOf": [{ "type": "string" }] });
        assert_eq!(
            described(&old, &fewer),
            ["`(root)`: alternatives of `oneOf` changed (breaking)"]
        );
    }

    #[test]
    fn overall_is_the_worst_change() {
        let old = object(json!({ "a": {} }), &[]);
        let new = object(json!({ "b": {} }), &[]);
        assert_eq!(
            overall(&classify(&old, &new)),
            Some(Compatibility::Breaking)
        );
        let widened = object(json!({ "a": {}, "b": {} }), &[]);
        assert_eq!(
            overall(&classify(&old, &widened)),
            Some(Compatibility::Compatible)
        );
    }
}
