//! The one walk over a schema that the docs' tables, the catalogue, the privacy section and the
//! classifier share: every property of an object in wire order and, nested, the properties of
//! the objects it holds (`a.b`), of its arrays' elements (`a[].b`), and of an enum's variants.
//!
//! An enum that carries data is walked variant by variant, the way serde writes it:
//!
//! - tagged (`#[serde(tag = "kind")]`, with or without `content`): a row for the tag, its values
//!   and what each variant is; then each variant's fields, each saying when it is sent
//!   (`` `kind` is `"failed"` ``);
//! - externally tagged (serde's default): each variant is a key of its own (`a.failed`, then
//!   `a.failed.reason`), present only for that variant;
//! - untagged: each variant's fields, saying which variant they belong to.
//!
//! Every row has a description: its schema's, else one the generator gives (an enum's tag, the
//! fields of the standard library's `Duration` and `SystemTime`), else none, which the
//! generator refuses.

use std::borrow::Cow;

use serde_json::{Value, json};

use super::key_order::KeyOrder;
use super::schema::resolve;

/// One property a [`walk`] met.
pub(crate) struct Node<'a> {
    /// Its path from the walk's start.
    pub(crate) path: String,
    /// Its schema as the parent object states it (perhaps a `$ref`); for an enum's tag, made by
    /// the walk.
    pub(crate) property: Cow<'a, Value>,
    /// Whether the parent object requires it.
    pub(crate) required: bool,
    /// When it is sent, for a field of one variant of an enum: `` `kind` is `"failed"` ``;
    /// `None` for a field of every value.
    pub(crate) variant: Option<String>,
    /// The description the generator gives it when its schema has none.
    given: Option<String>,
}

impl Node<'_> {
    /// Its description: the property's own, else its type's, else the one the generator gives
    /// it; empty when there is none.
    pub(crate) fn description<'v>(&'v self, root: &'v Value) -> &'v str {
        let target = resolve(root, &self.property).unwrap_or(&self.property);
        self.property
            .get("description")
            .or_else(|| target.get("description"))
            .and_then(Value::as_str)
            .filter(|description| !description.trim().is_empty())
            .or(self.given.as_deref())
            .unwrap_or_default()
    }
}

/// Descriptions of the fields of types from the standard library, which schemars names by their
/// titles and documents nothing of: `(title, key, description)`.
const GIVEN: &[(&str, &str, &str)] = &[
    ("Duration", "secs", "Whole seconds of the duration."),
    (
        "Duration",
        "nanos",
        "Nanoseconds of the duration beyond its whole seconds: 0 to 999,999,999.",
    ),
    (
        "SystemTime",
        "secs_since_epoch",
        "Whole seconds since the Unix epoch.",
    ),
    (
        "SystemTime",
        "nanos_since_epoch",
        "Nanoseconds beyond the whole seconds since the Unix epoch: 0 to 999,999,999.",
    ),
];

/// The properties of `object` (at `path` in the payload, `""` for the root), in wire order;
/// with `nested`, each followed by those of what it holds (see the module's docs). `$ref`s
/// resolve in `root`; a type that contains itself is walked once.
pub(crate) fn walk<'a>(
    root: &'a Value,
    object: &'a Value,
    path: &str,
    order: &KeyOrder,
    nested: bool,
) -> Vec<Node<'a>> {
    let mut walker = Walker {
        root,
        order,
        nested,
        visiting: Vec::new(),
        nodes: Vec::new(),
    };
    walker.object(object, path, None, None);
    walker.nodes
}

/// Whether `schema` (perhaps a `$ref`) is an object with properties.
pub(crate) fn has_properties(root: &Value, schema: &Value) -> bool {
    resolve(root, schema)
        .and_then(|schema| schema.get("properties"))
        .and_then(Value::as_object)
        .is_some_and(|properties| !properties.is_empty())
}

/// The alternatives of an enum's schema (`oneOf` or `anyOf`), resolved.
pub(crate) fn alternatives<'a>(root: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    ["oneOf", "anyOf"]
        .iter()
        .find_map(|keyword| schema.get(*keyword).and_then(Value::as_array))
        .map(|alternatives| {
            alternatives
                .iter()
                .map(|alternative| resolve(root, alternative).unwrap_or(alternative))
                .collect()
        })
        .unwrap_or_default()
}

/// The key every alternative holds a different constant string in, when every alternative is
/// an object that does: the tag of a tagged enum. The first such key in sorted order.
pub(crate) fn tag<'a>(alternatives: &[&'a Value]) -> Option<&'a str> {
    let first = alternatives.first()?.get("properties")?.as_object()?;
    first.keys().map(String::as_str).find(|key| {
        alternatives
            .iter()
            .all(|alternative| tag_value(alternative, key).is_some())
    })
}

/// The constant string `alternative` holds in `key`.
pub(crate) fn tag_value<'a>(alternative: &'a Value, key: &str) -> Option<&'a str> {
    alternative
        .get("properties")?
        .get(key)?
        .get("const")?
        .as_str()
}

/// The key of an externally tagged variant: the one property of an object that requires it.
pub(crate) fn external_key(alternative: &Value) -> Option<&str> {
    let properties = alternative.get("properties")?.as_object()?;
    let required = alternative.get("required")?.as_array()?;
    match (
        properties.keys().next(),
        properties.len(),
        required.as_slice(),
    ) {
        (Some(key), 1, [only]) if only.as_str() == Some(key) => Some(key),
        _ => None,
    }
}

/// The first sentence of a variant's description, for saying which variant a field is of.
fn summary(alternative: &Value) -> Option<&str> {
    let description = alternative.get("description").and_then(Value::as_str)?;
    let first = description
        .split("\n\n")
        .next()
        .unwrap_or(description)
        .trim();
    (!first.is_empty()).then_some(first)
}

/// `outer` and `inner` conditions together.
fn both(outer: Option<&str>, inner: String) -> String {
    match outer {
        Some(outer) => format!("{outer}, and {inner}"),
        None => inner,
    }
}

struct Walker<'a, 'o> {
    root: &'a Value,
    order: &'o KeyOrder,
    nested: bool,
    /// The `$ref`s being walked, so that a type containing itself is walked once.
    visiting: Vec<&'a str>,
    nodes: Vec<Node<'a>>,
}

impl<'a> Walker<'a, '_> {
    /// The properties of `object` at `path`, but `skip` (an enum's tag, which has a row of its
    /// own), each of them sent when `variant` says.
    fn object(&mut self, object: &'a Value, path: &str, variant: Option<&str>, skip: Option<&str>) {
        self.object_with(object, path, variant, skip, None);
    }

    /// [`object`](Self::object), `fallback` describing a property its schema does not.
    fn object_with(
        &mut self,
        object: &'a Value,
        path: &str,
        variant: Option<&str>,
        skip: Option<&str>,
        fallback: Option<&str>,
    ) {
        let Some(properties) = object.get("properties").and_then(Value::as_object) else {
            return;
        };
        let title = object.get("title").and_then(Value::as_str);
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|keys| keys.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut keys: Vec<&str> = properties
            .keys()
            .map(String::as_str)
            .filter(|key| Some(*key) != skip)
            .collect();
        self.order.sort(path, &mut keys);
        for (key, property) in keys
            .into_iter()
            .filter_map(|key| Some((key, properties.get(key)?)))
        {
            let child = if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            };
            let given = GIVEN
                .iter()
                .find(|(type_title, given_key, _)| Some(*type_title) == title && *given_key == key)
                .map(|(_, _, description)| (*description).to_owned())
                .or_else(|| fallback.map(str::to_owned));
            self.nodes.push(Node {
                path: child.clone(),
                property: Cow::Borrowed(property),
                required: required.contains(&key),
                variant: variant.map(str::to_owned),
                given,
            });
            if self.nested {
                self.descend(property, &child, variant);
            }
        }
    }

    /// What `schema`, at `path`, holds: an object's properties, an array's elements, an enum's
    /// variants.
    fn descend(&mut self, schema: &'a Value, path: &str, variant: Option<&str>) {
        let reference = schema.get("$ref").and_then(Value::as_str);
        if reference.is_some_and(|reference| self.visiting.contains(&reference)) {
            return;
        }
        self.visiting.extend(reference);
        let target = resolve(self.root, schema).unwrap_or(schema);
        if has_properties(self.root, target) {
            self.object(target, path, variant, None);
        } else if let Some(items) = target.get("items") {
            self.descend(items, &format!("{path}[]"), variant);
        } else {
            let alternatives = alternatives(self.root, target);
            if !alternatives.is_empty() {
                self.variants(&alternatives, path, variant);
            }
        }
        if reference.is_some() {
            self.visiting.pop();
        }
    }

    /// The variants of an enum at `path`.
    fn variants(&mut self, alternatives: &[&'a Value], path: &str, variant: Option<&str>) {
        if let Some(tag) = tag(alternatives) {
            let values: Vec<&str> = alternatives
                .iter()
                .filter_map(|alternative| tag_value(alternative, tag))
                .collect();
            let meanings: Vec<String> = alternatives
                .iter()
                .filter_map(|alternative| {
                    let value = tag_value(alternative, tag)?;
                    Some(match summary(alternative) {
                        Some(summary) => format!("`\"{value}\"`: {summary}"),
                        None => format!("`\"{value}\"`"),
                    })
                })
                .collect();
            self.nodes.push(Node {
                path: format!("{path}.{tag}"),
                property: Cow::Owned(json!({ "type": "string", "enum": values })),
                required: true,
                variant: variant.map(str::to_owned),
                given: Some(format!(
                    "Which variant this is, and the fields it has.\n\n- {}",
                    meanings.join("\n- ")
                )),
            });
            for alternative in alternatives {
                if let Some(value) = tag_value(alternative, tag) {
                    let when = both(variant, format!("`{tag}` is `\"{value}\"`"));
                    // A variant whose one field is its content (`#[serde(tag, content)]`): the
                    // variant's description is the content's.
                    let content = alternative
                        .get("properties")
                        .and_then(Value::as_object)
                        .is_some_and(|properties| properties.len() == 2);
                    let fallback = content.then(|| summary(alternative)).flatten();
                    self.object_with(alternative, path, Some(&when), Some(tag), fallback);
                }
            }
        } else if alternatives.iter().all(|alternative| {
            external_key(alternative).is_some()
                || alternative.get("const").is_some()
                || alternative.get("enum").is_some()
        }) {
            for alternative in alternatives {
                let Some(key) = external_key(alternative) else {
                    continue;
                };
                let Some(property) = alternative.pointer(&format!("/properties/{key}")) else {
                    continue;
                };
                let child = format!("{path}.{key}");
                self.nodes.push(Node {
                    path: child.clone(),
                    property: Cow::Borrowed(property),
                    required: false,
                    variant: variant.map(str::to_owned),
                    given: summary(alternative).map(str::to_owned),
                });
                self.descend(property, &child, variant);
            }
        } else {
            for (index, alternative) in alternatives.iter().enumerate() {
                if !has_properties(self.root, alternative) {
                    continue;
                }
                let which = match summary(alternative) {
                    Some(summary) => format!("it is variant {} ({summary})", index + 1),
                    None => format!("it is variant {}", index + 1),
                };
                self.object(alternative, path, Some(&both(variant, which)), None);
            }
        }
    }
}
