//! [`Error`]: why the generator could not produce its files.

use telemetry_core::registry::{DuplicateEvents, ExampleError};

use crate::policy::Violation;
use crate::publish::problems::{ReadError, Refusal};

/// Why artefacts could not be generated.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// More than one type defines an event type.
    Duplicates(DuplicateEvents),
    /// An example payload did not serialise, or is not the same every time.
    Example {
        /// `<EventType> v<N>`.
        event: String,
        /// The event's Rust type.
        rust_path: String,
        /// What is wrong with it.
        source: ExampleError,
    },
    /// An example payload does not match its event's schema.
    InvalidExample {
        /// `<EventType> v<N>`.
        event: String,
        /// The event's Rust type.
        rust_path: String,
        /// Which example, from 1 (0: the schema itself could not be compiled).
        index: usize,
        /// What the validator said.
        reason: String,
    },
    /// The published files could not be read.
    Read(ReadError),
    /// A generated file could not be read, written or removed.
    Io(std::io::Error),
    /// The configuration cannot be used.
    Config(String),
    /// The code breaks a rule of published versions.
    Refused(Refusal),
    /// Fields nothing classifies: an `eventData` key no field of the event declares (a
    /// hand-written [`TelemetryEvent`](telemetry_core::TelemetryEvent) whose `FIELDS` misses
    /// one), or an envelope key the core does not classify.
    Unclassified {
        /// `<EventType> v<N>`.
        event: String,
        /// The event's Rust type.
        rust_path: String,
        /// The paths of the unclassified fields.
        paths: Vec<String>,
    },
    /// Fields whose schema says nothing of what they hold: the docs and the catalogue would
    /// have an empty description.
    Undescribed {
        /// `<EventType> v<N>`.
        event: String,
        /// The event's Rust type.
        rust_path: String,
        /// The paths of the fields.
        paths: Vec<String>,
    },
    /// Fields the configured policy forbids.
    Forbidden(Vec<Violation>),
    /// Two different types got the same definition name.
    CollidingDefinitions {
        /// `<EventType> v<N>`.
        event: String,
        /// The event's Rust type.
        rust_path: String,
        /// `(renamed, original)` definition names.
        collisions: Vec<(String, String)>,
    },
}

impl From<DuplicateEvents> for Error {
    fn from(duplicates: DuplicateEvents) -> Self {
        Error::Duplicates(duplicates)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Duplicates(duplicates) => duplicates.fmt(f),
            Error::Read(error) => error.fmt(f),
            Error::Io(error) => error.fmt(f),
            Error::Config(message) => f.write_str(message),
            Error::Refused(refusal) => refusal.fmt(f),
            Error::Example {
                event,
                rust_path,
                source,
            } => write!(f, "{event} (`{rust_path}`): {source}"),
            Error::InvalidExample {
                event,
                rust_path,
                index: 0,
                reason,
            } => write!(
                f,
                "the schema of {event} (`{rust_path}`) does not compile: {reason}"
            ),
            Error::InvalidExample {
                event,
                rust_path,
                index,
                reason,
            } => write!(
                f,
                "example {index} of {event} (`{rust_path}`) does not match the event's schema: \
                 {reason}"
            ),
            Error::Unclassified {
                event,
                rust_path,
                paths,
            } => write!(
                f,
                "{event} (`{rust_path}`) sends fields without a classification: {}; every field \
                 of `FIELDS` needs a class and a purpose",
                quoted(paths)
            ),
            Error::Undescribed {
                event,
                rust_path,
                paths,
            } => write!(
                f,
                "{event} (`{rust_path}`) sends fields nothing describes: {}; give the fields of \
                 their types doc comments (`///`), which become the descriptions, or a \
                 `#[schemars(description = \"...\")]`",
                quoted(paths)
            ),
            Error::Forbidden(violations) => {
                for (index, violation) in violations.iter().enumerate() {
                    let separator = if index == 0 { "" } else { "\n" };
                    write!(f, "{separator}{violation}")?;
                }
                Ok(())
            }
            Error::CollidingDefinitions {
                event,
                rust_path,
                collisions,
            } => {
                write!(
                    f,
                    "the schema of {event} (`{rust_path}`) has different types with the same name: "
                )?;
                for (index, (renamed, original)) in collisions.iter().enumerate() {
                    let separator = if index == 0 { "" } else { ", " };
                    write!(f, "{separator}`{original}` and `{renamed}`")?;
                }
                f.write_str(
                    "; give one of each pair an explicit name with #[schemars(rename = \"...\")]",
                )
            }
        }
    }
}

/// `` `a`, `b` ``.
fn quoted(paths: &[String]) -> String {
    let quoted: Vec<String> = paths.iter().map(|path| format!("`{path}`")).collect();
    quoted.join(", ")
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Duplicates(duplicates) => Some(duplicates),
            Error::Read(error) => Some(error),
            Error::Io(error) => Some(error),
            Error::Refused(refusal) => Some(refusal),
            Error::Example { source, .. } => Some(source),
            Error::InvalidExample { .. }
            | Error::CollidingDefinitions { .. }
            | Error::Unclassified { .. }
            | Error::Undescribed { .. }
            | Error::Forbidden(_)
            | Error::Config(_) => None,
        }
    }
}
