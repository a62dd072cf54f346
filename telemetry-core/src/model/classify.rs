//! What each field is and why it is collected: the classification every field of an event
//! declares (`#[telemetry(class = ..., purpose = ...)]`), in the vocabulary of Visual Studio
//! Code's telemetry, and the envelope's own fields classified the same way.
//!
//! The classifications travel from the Rust types into the generated docs (a class and a purpose
//! on every field, and a privacy section that claims no more than the classes allow), into the
//! catalogue for data-governance tools, and into the generator's policy.

use std::fmt;

/// What a field holds, as far as privacy goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum DataClass {
    /// Facts about the program and the machine it runs on: versions, durations, counts, flags.
    SystemMetadata,
    /// Error messages and stack traces, which may quote what the program was working on.
    CallStackOrException,
    /// What the user wrote or chose: names, paths, free text.
    CustomerContent,
    /// An identifier of a person, an installation or a run that is not itself a name: random
    /// IDs, hashes.
    EndUserPseudonymized,
    /// Personal data the person made public.
    PublicPersonal,
    /// Public data that is about no one.
    PublicNonPersonal,
}

impl DataClass {
    /// Every class, in the order the docs list them.
    pub const ALL: [DataClass; 6] = [
        DataClass::SystemMetadata,
        DataClass::CallStackOrException,
        DataClass::CustomerContent,
        DataClass::EndUserPseudonymized,
        DataClass::PublicPersonal,
        DataClass::PublicNonPersonal,
    ];

    /// The class's name, as `#[telemetry(class = ...)]` spells it.
    pub fn name(self) -> &'static str {
        match self {
            DataClass::SystemMetadata => "system_metadata",
            DataClass::CallStackOrException => "call_stack_or_exception",
            DataClass::CustomerContent => "customer_content",
            DataClass::EndUserPseudonymized => "end_user_pseudonymized",
            DataClass::PublicPersonal => "public_personal",
            DataClass::PublicNonPersonal => "public_non_personal",
        }
    }

    /// The class of what is sent for a value of this class: the same, or
    /// [`EndUserPseudonymized`](DataClass::EndUserPseudonymized) when it is sent as a keyed hash
    /// ([`Hashed`](crate::Hashed)), whatever it was.
    ///
    /// ```
    /// use telemetry_core::classify::DataClass;
    ///
    /// assert_eq!(DataClass::CustomerContent.sent_as(false), DataClass::CustomerContent);
    /// assert_eq!(DataClass::CustomerContent.sent_as(true), DataClass::EndUserPseudonymized);
    /// ```
    #[must_use]
    pub fn sent_as(self, hashed: bool) -> DataClass {
        if hashed {
            DataClass::EndUserPseudonymized
        } else {
            self
        }
    }

    /// The class of this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|class| class.name() == name)
    }

    /// What the class means, one sentence.
    pub fn meaning(self) -> &'static str {
        match self {
            DataClass::SystemMetadata => {
                "facts about the program and the machine: versions, durations, counts, flags"
            }
            DataClass::CallStackOrException => {
                "error messages, which may quote what the program was working on"
            }
            DataClass::CustomerContent => "what the user wrote or chose: names, paths, free text",
            DataClass::EndUserPseudonymized => {
                "an identifier of a person, an installation, a project or a run that is not itself a name"
            }
            DataClass::PublicPersonal => "personal data the person made public",
            DataClass::PublicNonPersonal => "public data about no one",
        }
    }

    /// Whether a field of this class could, alone or with others, single out a person or an
    /// organisation.
    pub fn could_identify(self) -> bool {
        matches!(
            self,
            DataClass::CustomerContent
                | DataClass::EndUserPseudonymized
                | DataClass::PublicPersonal
                | DataClass::CallStackOrException
        )
    }
}

impl fmt::Display for DataClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a field is collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Purpose {
    /// To learn how features are used.
    FeatureInsight,
    /// To find out how fast and how reliably the program works.
    PerformanceAndHealth,
    /// To understand the program's use as a whole: adoption, environments.
    BusinessInsight,
    /// To keep the program and its users secure.
    SecurityAndAuditing,
}

impl Purpose {
    /// Every purpose, in the order the docs list them.
    pub const ALL: [Purpose; 4] = [
        Purpose::FeatureInsight,
        Purpose::PerformanceAndHealth,
        Purpose::BusinessInsight,
        Purpose::SecurityAndAuditing,
    ];

    /// The purpose's name, as `#[telemetry(purpose = ...)]` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::FeatureInsight => "feature_insight",
            Purpose::PerformanceAndHealth => "performance_and_health",
            Purpose::BusinessInsight => "business_insight",
            Purpose::SecurityAndAuditing => "security_and_auditing",
        }
    }

    /// The purpose of this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|purpose| purpose.name() == name)
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The classification of one field: of an event's `eventData` (from the derive), or of the
/// envelope. It covers the field's whole subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The field's key on the wire (after serde's renaming), or `None` for a
    /// `#[serde(flatten)]`ed field, whose keys are the flattened type's.
    pub key: Option<&'static str>,
    /// The Rust field's name.
    pub rust_name: &'static str,
    /// What it holds. For a [`Hashed`](crate::Hashed) field, what the value was before hashing.
    pub class: DataClass,
    /// Why it is collected.
    pub purpose: Purpose,
    /// Whether it is sent as a keyed hash ([`Hashed`](crate::Hashed)): then what is sent is
    /// [`EndUserPseudonymized`](DataClass::EndUserPseudonymized), whatever it was.
    pub hashed: bool,
}

impl Field {
    /// The class of what is sent: [`class`](Self::class), or pseudonymized when hashed.
    pub fn sent_class(&self) -> DataClass {
        self.class.sent_as(self.hashed)
    }
}

/// One field of the envelope, classified, with the reason for its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvelopeField {
    /// Its path: `ts`, `attributes.arch`, ...
    pub path: &'static str,
    /// What it holds.
    pub class: DataClass,
    /// Why it is collected.
    pub purpose: Purpose,
    /// Why it has its class, one line.
    pub reason: &'static str,
}

/// Every field of the envelope but `eventData` (whose fields the event classifies), classified.
pub const ENVELOPE_FIELDS: &[EnvelopeField] = &[
    EnvelopeField {
        path: "ts",
        class: DataClass::SystemMetadata,
        purpose: Purpose::PerformanceAndHealth,
        reason: "a time",
    },
    EnvelopeField {
        path: "executionID",
        class: DataClass::EndUserPseudonymized,
        purpose: Purpose::FeatureInsight,
        reason: "a random identifier of one run, which ties its events together",
    },
    EnvelopeField {
        path: "userID",
        class: DataClass::EndUserPseudonymized,
        purpose: Purpose::BusinessInsight,
        reason: "an identifier of a user or an installation, when the program sends one",
    },
    EnvelopeField {
        path: "projectID",
        class: DataClass::EndUserPseudonymized,
        purpose: Purpose::BusinessInsight,
        reason: "an unsalted hash of the repository's address, the same on every machine: anyone with a list of public repository addresses can tell \
                 which one it is, and anyone who can guess a private repository's address can \
                 check the guess",
    },
    EnvelopeField {
        path: "command",
        class: DataClass::SystemMetadata,
        purpose: Purpose::FeatureInsight,
        reason: "the program's own command words, never its arguments",
    },
    EnvelopeField {
        path: "attributes",
        class: DataClass::SystemMetadata,
        purpose: Purpose::BusinessInsight,
        reason: "the environment, key by key below",
    },
    EnvelopeField {
        path: "attributes.arch",
        class: DataClass::SystemMetadata,
        purpose: Purpose::BusinessInsight,
        reason: "the CPU architecture",
    },
    EnvelopeField {
        path: "attributes.os",
        class: DataClass::SystemMetadata,
        purpose: Purpose::BusinessInsight,
        reason: "the operating system",
    },
    EnvelopeField {
        path: "attributes.groupChannel",
        class: DataClass::SystemMetadata,
        purpose: Purpose::BusinessInsight,
        reason: "the release channel, one of the program's",
    },
    EnvelopeField {
        path: "attributes.version",
        class: DataClass::SystemMetadata,
        purpose: Purpose::BusinessInsight,
        reason: "the program's version",
    },
    EnvelopeField {
        path: "attributes.ci",
        class: DataClass::SystemMetadata,
        purpose: Purpose::BusinessInsight,
        reason: "a flag",
    },
    EnvelopeField {
        path: "attributes.ciName",
        class: DataClass::SystemMetadata,
        purpose: Purpose::BusinessInsight,
        reason: "one of a fixed list of CI systems",
    },
    EnvelopeField {
        path: "attributes.extra",
        class: DataClass::CustomerContent,
        purpose: Purpose::BusinessInsight,
        reason: "whatever the user put in the variables",
    },
    EnvelopeField {
        path: "eventType",
        class: DataClass::SystemMetadata,
        purpose: Purpose::FeatureInsight,
        reason: "the event's name",
    },
    EnvelopeField {
        path: "eventData",
        class: DataClass::SystemMetadata,
        purpose: Purpose::FeatureInsight,
        reason: "the event's own fields, each classified below",
    },
    EnvelopeField {
        path: "schemaVersion",
        class: DataClass::SystemMetadata,
        purpose: Purpose::FeatureInsight,
        reason: "a version number",
    },
];

/// The classification of the envelope's field at `path` (`ts`, `attributes.os`, ...).
///
/// ```
/// use telemetry_core::classify::{DataClass, envelope_field};
///
/// assert_eq!(envelope_field("attributes.extra").map(|field| field.class), Some(DataClass::CustomerContent));
/// assert_eq!(envelope_field("attributes.nothing"), None);
/// ```
pub fn envelope_field(path: &str) -> Option<&'static EnvelopeField> {
    ENVELOPE_FIELDS.iter().find(|field| field.path == path)
}

#[cfg(test)]
mod tests {
    use super::{DataClass, ENVELOPE_FIELDS, Purpose};

    #[test]
    fn names_round_trip() {
        for class in DataClass::ALL {
            assert_eq!(DataClass::from_name(class.name()), Some(class));
        }
        for purpose in Purpose::ALL {
            assert_eq!(Purpose::from_name(purpose.name()), Some(purpose));
        }
        assert_eq!(DataClass::from_name("secret"), None);
    }

    #[test]
    fn every_envelope_field_is_classified_once() {
        let mut paths: Vec<&str> = ENVELOPE_FIELDS.iter().map(|field| field.path).collect();
        let count = paths.len();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), count);
        for key in crate::model::envelope::keys::ALL {
            assert!(paths.contains(&key), "{key}");
        }
    }
}
