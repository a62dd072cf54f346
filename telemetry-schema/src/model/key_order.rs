//! The order of keys in serialised payloads, which `serde_json::Value` (a sorted map here)
//! forgets: the docs list fields in the order the wire carries them.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// For each object in a JSON document, by path, its keys in order of first appearance.
///
/// Paths: `""` for the root, `"eventData"` for a key of it, `"eventData.commandOptions[]"` for
/// the elements of an array.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct KeyOrder {
    keys: BTreeMap<String, Vec<String>>,
}

impl KeyOrder {
    /// Records the key order of every document in `documents`; documents that are not JSON are
    /// skipped (they cannot come from `serde_json`).
    pub(crate) fn of<'a>(documents: impl IntoIterator<Item = &'a str>) -> Self {
        let mut order = KeyOrder::default();
        for document in documents {
            let mut deserializer = serde_json::Deserializer::from_str(document);
            let _ = Collect {
                path: String::new(),
                order: &mut order,
            }
            .deserialize(&mut deserializer);
        }
        order
    }

    /// Sorts `keys` (of the object at `path`) in recorded order; keys never seen come after,
    /// alphabetically.
    pub(crate) fn sort(&self, path: &str, keys: &mut [&str]) {
        let recorded = self.keys.get(path).map(Vec::as_slice).unwrap_or_default();
        keys.sort_by_key(|key| {
            (
                recorded
                    .iter()
                    .position(|seen| seen == key)
                    .unwrap_or(usize::MAX),
                key.to_string(),
            )
        });
    }
}

/// Walks a document, recording keys into `order` under `path`.
struct Collect<'a> {
    path: String,
    order: &'a mut KeyOrder,
}

impl<'de> DeserializeSeed<'de> for Collect<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Collect<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // A key first seen in this document goes right after the key before it here, so that
        // documents which each show some of the optional keys merge into the wire order.
        let mut previous: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            let child = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            let keys = self.order.keys.entry(self.path.clone()).or_default();
            if !keys.contains(&key) {
                let at = previous
                    .as_ref()
                    .and_then(|previous| keys.iter().position(|seen| seen == previous))
                    .map_or(0, |index| index + 1);
                keys.insert(at, key.clone());
            }
            previous = Some(key);
            map.next_value_seed(Collect {
                path: child,
                order: self.order,
            })?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let items = format!("{}[]", self.path);
        while seq
            .next_element_seed(Collect {
                path: items.clone(),
                order: self.order,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::KeyOrder;

    #[test]
    fn records_keys_in_wire_order_per_path() {
        let order = KeyOrder::of([
            r#"{"ts":1,"eventData":{"zeta":[{"b":1,"a":2}],"alpha":true}}"#,
            r#"{"eventData":{"middle":0}}"#,
        ]);
        let mut keys = vec!["alpha", "zeta", "middle", "unseen", "also"];
        order.sort("eventData", &mut keys);
        // `middle` came first in its document, so it goes before the others.
        assert_eq!(keys, ["middle", "zeta", "alpha", "also", "unseen"]);

        let mut items = vec!["a", "b"];
        order.sort("eventData.zeta[]", &mut items);
        assert_eq!(items, ["b", "a"]);

        let mut root = vec!["eventData", "ts"];
        order.sort("", &mut root);
        assert_eq!(root, ["ts", "eventData"]);
    }

    #[test]
    fn merges_optional_keys_seen_in_different_documents_into_wire_order() {
        let order = KeyOrder::of([
            r#"{"arch":1,"os":1,"version":1,"ci":1,"extra":1}"#,
            r#"{"arch":1,"os":1,"version":1,"ci":1,"ciName":1,"extra":1}"#,
            r#"{"arch":1,"os":1,"groupChannel":1,"version":1,"ci":1,"extra":1}"#,
            r#"{"first":1,"arch":1}"#,
        ]);
        let mut keys = vec![
            "extra",
            "ciName",
            "ci",
            "version",
            "groupChannel",
            "os",
            "arch",
            "first",
        ];
        order.sort("", &mut keys);
        assert_eq!(
            keys,
            [
                "first",
                "arch",
                "os",
                "groupChannel",
                "version",
                "ci",
                "ciName",
                "extra"
            ]
        );
    }
}
