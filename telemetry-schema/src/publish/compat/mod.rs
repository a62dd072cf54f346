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

pub(crate) mod change;
pub(crate) mod verdict;
mod walker;

use serde_json::Value;

pub use self::change::{Change, ChangeKind};
pub use self::verdict::{Compatibility, overall};
use self::walker::Walker;
use crate::model::version::EventVersion;

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

impl EventVersion {
    /// Every change from `older` (an earlier version of the same event) to this version, leaving
    /// out what always changes between versions: the `schemaVersion` constant, the title and
    /// the `$id`.
    pub fn changes_since(&self, older: &EventVersion) -> Vec<Change> {
        let mut newer = self.schema.clone();
        for pointer in ["/properties/schemaVersion/const", "/title", "/$id"] {
            if let (Some(old), Some(new)) =
                (older.schema.pointer(pointer), newer.pointer_mut(pointer))
            {
                new.clone_from(old);
            }
        }
        classify(&older.schema, &newer)
    }
}

#[cfg(test)]
mod tests;
