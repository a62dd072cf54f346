//! A JSON document read in place, for checking: its strings and keys borrowed from the text
//! received (copied only where they hold escapes), each object's members in one sorted `Vec`.
//! `jsonschema` validates it through its `json::Json` traits, as it validates a
//! `serde_json::Value`, without a `Value`'s allocation per key and per string and its `BTreeMap`
//! nodes: building that tree was most of what checking an event cost.
//!
//! It means what a `Value` of the same text means, so that an event is valid exactly when its
//! `Value` would be: numbers are `serde_json`'s numbers; an object's members are ordered by key
//! and a repeated key keeps its last value, as `serde_json::Map` does.

use std::borrow::Cow;
use std::fmt;

use jsonschema::JsonType;
use jsonschema::json::{Array, Json, Node, NodeIdentity, Object};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// One JSON value, borrowing from the text it was read from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Document<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as `serde_json` reads it.
    Number(Number),
    /// A string: borrowed unless it held escapes.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Document<'a>>),
    /// An object.
    Object(Members<'a>),
}

/// An object's members, sorted by key, each key once.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Members<'a>(Vec<(Cow<'a, str>, Document<'a>)>);

impl<'a> Members<'a> {
    /// The members of `pairs`, in any order: a key given twice keeps its last value.
    pub(crate) fn new(mut pairs: Vec<(Cow<'a, str>, Document<'a>)>) -> Self {
        // Stable, so that of equal keys the last given stays last.
        pairs.sort_by(|(left, _), (right, _)| left.cmp(right));
        pairs.dedup_by(|later, kept| {
            if later.0 == kept.0 {
                std::mem::swap(later, kept);
                true
            } else {
                false
            }
        });
        Members(pairs)
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Document<'a>> {
        self.0
            .binary_search_by(|(name, _)| name.as_ref().cmp(key))
            .ok()
            .and_then(|index| self.0.get(index))
            .map(|(_, value)| value)
    }
}

impl Document<'_> {
    /// The same value as a `serde_json::Value`: for what is reported, never for checking.
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Document::Null => Value::Null,
            Document::Bool(flag) => Value::Bool(*flag),
            Document::Number(number) => Value::Number(number.clone()),
            Document::String(text) => Value::String(text.clone().into_owned()),
            Document::Array(items) => Value::Array(items.iter().map(Document::to_value).collect()),
            Document::Object(members) => Value::Object(
                members
                    .0
                    .iter()
                    .map(|(key, value)| (key.clone().into_owned(), value.to_value()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Document<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DocumentVisitor)
    }
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = Document<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Document::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Document::Null)
    }

    fn visit_bool<E>(self, flag: bool) -> Result<Self::Value, E> {
        Ok(Document::Bool(flag))
    }

    fn visit_i64<E>(self, number: i64) -> Result<Self::Value, E> {
        Ok(Document::Number(number.into()))
    }

    fn visit_u64<E>(self, number: u64) -> Result<Self::Value, E> {
        Ok(Document::Number(number.into()))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Self::Value, E> {
        // JSON text holds no NaN nor infinity; `serde_json` reads a number too large for an
        // `f64` as an error before it gets here.
        Number::from_f64(number)
            .map(Document::Number)
            .ok_or_else(|| E::custom("a number JSON cannot hold"))
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Document::String(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Document::String(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
        Ok(Document::String(Cow::Owned(text)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Document::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(Key(key)) = map.next_key()? {
            pairs.push((key, map.next_value()?));
        }
        Ok(Document::Object(Members::new(pairs)))
    }
}

/// An object's key, borrowed where it can be (serde's own `Cow<str>` always copies).
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("an object's key")
            }

            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(text)))
            }

            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(text.to_owned())))
            }

            fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// [`Document`] as a representation `jsonschema` validates.
pub(crate) struct InPlace;

impl Json for InPlace {
    type Node<'a> = &'a Document<'a>;
    type PreparedKey = String;
    type StringBuffer = ();

    // A lookup is a binary search, comparing keys as a `BTreeMap`'s does.
    const KEYS_PER_LOOKUP: usize = 2;
    // A tree: no value holds itself.
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(
        (): &mut (),
        text: &str,
        f: impl for<'x> FnOnce(&'x Document<'x>) -> T,
    ) -> T {
        f(&Document::String(Cow::Borrowed(text)))
    }
}

impl<'a> Node<'a, InPlace> for &'a Document<'a> {
    type Object = &'a Members<'a>;
    type Array = &'a [Document<'a>];
    type Number = &'a Number;

    fn as_object(&self) -> Option<Self::Object> {
        match self {
            Document::Object(members) => Some(members),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<Self::Array> {
        match self {
            Document::Array(items) => Some(items),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self {
            Document::String(text) => Some(Cow::Borrowed(text)),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<Self::Number> {
        match self {
            Document::Number(number) => Some(number),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self {
            Document::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Document::Null)
    }

    fn json_type(&self) -> JsonType {
        match self {
            Document::Null => JsonType::Null,
            Document::Bool(_) => JsonType::Boolean,
            Document::Number(_) => JsonType::Number,
            Document::String(_) => JsonType::String,
            Document::Array(_) => JsonType::Array,
            Document::Object(_) => JsonType::Object,
        }
    }

    fn equals_value(&self, expected: &Value) -> bool {
        match (self, expected) {
            (Document::String(text), Value::String(other)) => text == other,
            (Document::Bool(flag), Value::Bool(other)) => flag == other,
            (Document::Null, Value::Null) => true,
            (Document::Number(number), Value::Number(other)) => {
                jsonschema::json::cmp::equal_numbers(&number, other)
            }
            _ => jsonschema::json::cmp::equal(&self.to_value(), expected),
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(Document::to_value(self))
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(
            std::ptr::from_ref::<Document<'a>>(*self) as usize
        ))
    }
}

impl<'a> Object<'a, InPlace> for &'a Members<'a> {
    type Node = &'a Document<'a>;
    type MemberName = &'a str;
    type MembersIter = MembersIter<'a>;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, key: &String) -> Option<Self::Node> {
        Members::get(self, key)
    }

    fn members(&self) -> MembersIter<'a> {
        MembersIter(self.0.iter())
    }
}

/// An object's members, in key order.
pub(crate) struct MembersIter<'a>(std::slice::Iter<'a, (Cow<'a, str>, Document<'a>)>);

impl<'a> Iterator for MembersIter<'a> {
    type Item = (&'a str, &'a Document<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(key, value)| (key.as_ref(), value))
    }
}

impl<'a> Array<'a, InPlace> for &'a [Document<'a>] {
    type Node = &'a Document<'a>;
    type ElementsIter = std::slice::Iter<'a, Document<'a>>;

    fn len(&self) -> usize {
        <[Document<'a>]>::len(self)
    }

    fn elements(&self) -> Self::ElementsIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use serde_json::{Value, json};

    use super::{Document, InPlace};

    fn read(text: &str) -> Document<'_> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn keeps_the_contract_jsonschema_relies_on() {
        let text = jsonschema::json::conformance::document().to_string();
        jsonschema::json::conformance::assert_conformance::<InPlace>(&&read(&text));
    }

    #[test]
    fn means_what_a_value_of_the_same_text_means() {
        for text in [
            r#"{"b":1,"a":[true,null,-2,1.5e3,18446744073709551615],"c":{"é":"\u00e9\n"}}"#,
            r#"{"k":1,"k":2,"j":{"k":3},"k":4}"#,
            "[1e400]",
            r#""plain""#,
            "[]",
            "{}",
        ] {
            let expected: Result<Value, _> = serde_json::from_str(text);
            let read: Result<Document<'_>, _> = serde_json::from_str(text);
            match (expected, read) {
                (Ok(expected), Ok(read)) => assert_eq!(read.to_value(), expected, "{text}"),
                (Err(_), Err(_)) => {}
                (expected, read) => panic!("{text}: {expected:?} but {read:?}"),
            }
        }
    }

    #[test]
    fn nesting_past_serde_jsons_limit_is_refused_as_a_value_is_never_a_crash() {
        for depth in [127, 129, 100_000] {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let read = serde_json::from_str::<Document<'_>>(&text);
            let value = serde_json::from_str::<Value>(&text);
            assert_eq!(read.is_ok(), value.is_ok(), "depth {depth}");
            assert_eq!(read.is_ok(), depth < 128, "depth {depth}");
        }
    }

    #[test]
    fn strings_and_keys_without_escapes_are_borrowed() {
        let document = read(r#"{"plain":"text","esc\"aped":"li\ne"}"#);
        let Document::Object(members) = &document else {
            panic!("an object");
        };
        let pairs = &members.0;
        assert!(matches!(
            pairs[1],
            (
                Cow::Borrowed("plain"),
                Document::String(Cow::Borrowed("text"))
            )
        ));
        assert!(matches!(
            pairs[0],
            (Cow::Owned(_), Document::String(Cow::Owned(_)))
        ));
    }

    #[test]
    fn validates_as_a_value_does() {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 2, "pattern": "^[a-z]+$"},
                "count": {"type": "integer", "minimum": 0},
                "kind": {"enum": ["a", "b"]},
                "version": {"const": 2}
            },
            "required": ["name", "count"],
            "additionalProperties": false,
            "propertyNames": {"maxLength": 8}
        });
        let in_place = jsonschema::options_for::<InPlace>().build(&schema).unwrap();
        let tree = jsonschema::validator_for(&schema).unwrap();
        for text in [
            r#"{"name":"ab","count":0,"kind":"a","version":2}"#,
            r#"{"name":"ab","count":0,"version":2.0}"#,
            r#"{"name":"a","count":0}"#,
            r#"{"name":"AB","count":-1}"#,
            r#"{"name":"ab","count":1.5}"#,
            r#"{"name":"ab","count":1,"kind":"c"}"#,
            r#"{"name":"ab","count":1,"version":3}"#,
            r#"{"name":"ab","count":1,"other":true}"#,
            r#"{"name":"ab","count":1,"muchtoolong":1}"#,
            r#"{"name":"ab","name":"a","count":1}"#,
            r#"{"count":1}"#,
            "[]",
        ] {
            let value: Value = serde_json::from_str(text).unwrap();
            let document = read(text);
            assert_eq!(
                in_place.is_valid(&document),
                tree.is_valid(&value),
                "{text}"
            );
            let ours: Vec<_> = in_place
                .iter_errors(&document)
                .map(|error| (error.instance_path().to_string(), error.to_string()))
                .collect();
            let theirs: Vec<_> = tree
                .iter_errors(&value)
                .map(|error| (error.instance_path().to_string(), error.to_string()))
                .collect();
            assert_eq!(ours, theirs, "{text}");
        }
    }
}
