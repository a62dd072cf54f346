//! The kinds of change between two schemas, at a place in the payload, and how each reads.

use std::fmt;

use serde_json::Value;

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

/// A keyword that admits fewer values: from `from` to `to` (absent: `None`).
pub(super) fn tightened(keyword: &str, from: Option<&Value>, to: Option<&Value>) -> ChangeKind {
    ChangeKind::ConstraintTightened {
        keyword: keyword.to_owned(),
        from: from.cloned(),
        to: to.cloned(),
    }
}

/// A keyword that admits more values: from `from` to `to` (absent: `None`).
pub(super) fn relaxed(keyword: &str, from: Option<&Value>, to: Option<&Value>) -> ChangeKind {
    ChangeKind::ConstraintRelaxed {
        keyword: keyword.to_owned(),
        from: from.cloned(),
        to: to.cloned(),
    }
}
