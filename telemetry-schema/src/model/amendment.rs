//! [`Amendment`]: a change made to a published version without a new version, as the version's
//! history records it.

use std::fmt;

/// A change made to a published version without a new version: payloads valid before stay
/// valid, and the record keeps what was changed (and, for a [widening
/// correction](AmendmentKind::Widening), why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amendment {
    /// What kind of change.
    pub kind: AmendmentKind,
    /// Each change, in words, as [`Change`](crate::compat::Change) displays it.
    pub changes: Vec<String>,
    /// Why the version was changed, in its author's words: set for a
    /// [widening correction](AmendmentKind::Widening), `None` for the kinds a generator makes
    /// by itself.
    pub reason: Option<String>,
}

/// The kinds of change a published version admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AmendmentKind {
    /// Titles or descriptions were corrected.
    Descriptions,
    /// The file was rewritten in standard keywords by a newer generator (see
    /// [`crate::standard`]): each integer's range, which a `format` such as `uint32` named and no
    /// validator enforced, is stated with `minimum` and `maximum` (64-bit ones capped at
    /// 2^53 − 1, what every consumer reads exactly), and the schema gained an `$id` and titles.
    /// Payloads the version's Rust type produces stay valid.
    StandardKeywords,
    /// A field's class or purpose was corrected: what the field is, or why it is sent, not what
    /// it accepts.
    Classification,
    /// A widening correction: the version was made to accept more, because what its senders
    /// really send was found to be wider than what it said (`cargo xtask schema --widen
    /// REASON`). Every payload it accepted stays accepted (the compatibility classifier
    /// decides: anything narrower still needs a new version); the wire's `schemaVersion` stays
    /// the same, which is why it carries no version number (Snowplow's `SchemaVer` calls such a
    /// change an ADDITION and bumps a digit the wire here cannot carry).
    Widening,
}

impl AmendmentKind {
    /// The kind's name in the catalogue.
    pub fn name(self) -> &'static str {
        match self {
            AmendmentKind::Descriptions => "descriptions",
            AmendmentKind::StandardKeywords => "standard-keywords",
            AmendmentKind::Classification => "classification",
            AmendmentKind::Widening => "widening",
        }
    }

    /// The kind of this name.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "descriptions" => Some(AmendmentKind::Descriptions),
            "standard-keywords" => Some(AmendmentKind::StandardKeywords),
            "classification" => Some(AmendmentKind::Classification),
            "widening" => Some(AmendmentKind::Widening),
            _ => None,
        }
    }
}

impl fmt::Display for Amendment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            AmendmentKind::Descriptions => "descriptions corrected",
            AmendmentKind::StandardKeywords => {
                "rewritten in standard keywords (integer ranges stated as bounds, an `$id`, titles)"
            }
            AmendmentKind::Classification => "classification changed",
            AmendmentKind::Widening => "widened (every payload it accepted stays accepted)",
        };
        match &self.reason {
            Some(reason) => write!(f, "{what}, because {reason}: {}", self.changes.join("; ")),
            None => write!(f, "{what}: {}", self.changes.join("; ")),
        }
    }
}
