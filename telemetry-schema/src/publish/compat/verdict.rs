//! The verdict on a change: whether old payloads stay valid, and whether only what the schema
//! says about values changed.

use std::fmt;

use super::change::{Change, ChangeKind};

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

/// The worst compatibility among `changes`; `None` when there are none.
pub fn overall(changes: &[Change]) -> Option<Compatibility> {
    changes.iter().map(Change::compatibility).max()
}
