//! The generator's privacy policy: classes of data the program's events must not send, set with
//! [`Config::forbid`](crate::Config::forbid) and
//! [`Config::forbid_unless_hashed`](crate::Config::forbid_unless_hashed), and what breaks them. A
//! run checks them over every event the code defines before a file is written.

use std::fmt;

use telemetry_core::classify::DataClass;

/// One rule of the policy: a class no event field may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The forbidden class.
    pub class: DataClass,
    /// Whether a field of the class is allowed when it is sent as a keyed hash
    /// ([`Hashed`](telemetry_core::Hashed)).
    pub unless_hashed: bool,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no `{}` fields", self.class)?;
        if self.unless_hashed {
            f.write_str(" unless hashed")?;
        }
        Ok(())
    }
}

/// A field the policy forbids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `<EventType> v<N>`.
    pub event: String,
    /// The event's Rust type.
    pub rust_path: String,
    /// The field's path: `eventData.image`.
    pub field: String,
    /// The rule it breaks.
    pub rule: Rule,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (`{}`): field `{}` is `{}`, which the policy forbids ({}); ",
            self.event, self.rust_path, self.field, self.rule.class, self.rule
        )?;
        if self.rule.unless_hashed {
            f.write_str("send it as `telemetry_core::Hashed<_>`, or leave it out")
        } else {
            f.write_str("leave it out")
        }
    }
}
