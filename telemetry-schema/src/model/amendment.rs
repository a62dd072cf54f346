//! [`Amendment`]: a change made to a published version without a new version, as the version's
//! history records it.

use std::fmt;

/// A change made to a published version without a new version: its validation never changes, so
/// payloads valid before stay valid, and the record keeps what was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amendment {
    /// What kind of change.
    pub kind: AmendmentKind,
    /// Each change, in words, as [`Change`](crate::compat::Change) displays it.
    pub changes: Vec<String>,
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
}

impl AmendmentKind {
    /// The kind's name in the catalogue.
    pub fn name(self) -> &'static str {
        match self {
            AmendmentKind::Descriptions => "descriptions",
            AmendmentKind::StandardKeywords => "standard-keywords",
            AmendmentKind::Classification => "classification",
        }
    }

    /// The kind of this name.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "descriptions" => Some(AmendmentKind::Descriptions),
            "standard-keywords" => Some(AmendmentKind::StandardKeywords),
            "classification" => Some(AmendmentKind::Classification),
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
        };
        write!(f, "{what}: {}", self.changes.join("; "))
    }
}
