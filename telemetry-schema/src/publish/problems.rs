//! [`Refusal`] and [`Problem`]: the rules of published versions that the code broke, in words
//! that say what to do.

use std::fmt;
use std::io;

use super::compat::change::Change;
use super::compat::verdict::{Compatibility, overall};

/// Why the generator will not write.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// Every reason, in the order found.
    pub problems: Vec<Problem>,
}

/// One rule of published versions broken.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Problem {
    /// More than one type defines an event type.
    SeveralTypes {
        /// The `eventType`.
        event_type: String,
        /// Each type, with the version it defines, sorted.
        claimants: Vec<(String, u32)>,
    },
    /// A published version's validation changed.
    Changed {
        /// The `eventType`.
        event_type: String,
        /// The published version.
        version: u32,
        /// The Rust type that defines it.
        rust_path: Option<String>,
        /// Every change, classified.
        changes: Vec<Change>,
    },
    /// A published version is marked unreleased again.
    Unpublished {
        /// The `eventType`.
        event_type: String,
        /// The published version.
        version: u32,
    },
    /// A published file is missing.
    Missing {
        /// Its path, relative to the output directory.
        path: String,
    },
    /// Versions between two others are missing.
    Gap {
        /// The `eventType`.
        event_type: String,
        /// The version before the gap.
        from: u32,
        /// The version after the gap.
        to: u32,
        /// Missing versions that exist only as unreleased drafts.
        drafts: Vec<u32>,
    },
    /// The code defines an older version than is published.
    WentBack {
        /// The `eventType`.
        event_type: String,
        /// The newest version the code defines.
        code: u32,
        /// The newest version published.
        published: u32,
    },
    /// An unreleased version is not the newest.
    UnreleasedNotNewest {
        /// The `eventType`.
        event_type: String,
        /// The unreleased version.
        version: u32,
    },
}

/// What [`Problem::Changed`] says: every change, and what to do.
fn changed(
    f: &mut fmt::Formatter<'_>,
    event_type: &str,
    version: u32,
    rust_path: Option<&str>,
    changes: &[Change],
) -> fmt::Result {
    writeln!(
        f,
        "{event_type} v{version} is published, and its schema changed:"
    )?;
    for change in changes {
        writeln!(f, "  - {change}")?;
    }
    let at = rust_path
        .map(|path| format!(" on `{path}`"))
        .unwrap_or_default();
    if overall(changes) == Some(Compatibility::Compatible) {
        writeln!(
            f,
            "  every payload v{version} accepted stays accepted: if its senders already send \
             what it now accepts, correct it in place with `cargo xtask schema --widen \"REASON\"` \
             (the catalogue records the reason); otherwise:"
        )?;
    }
    write!(
        f,
        "  published versions never change what they accept: bump `version` to {next} in \
         #[telemetry(...)]{at} (v{version}'s schema and examples stay as they are), or undo \
         the change; corrected descriptions alone need no bump",
        next = version + 1
    )
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::SeveralTypes {
                event_type,
                claimants,
            } => {
                let claimants: Vec<String> = claimants
                    .iter()
                    .map(|(path, version)| format!("`{path}` (v{version})"))
                    .collect();
                write!(
                    f,
                    "{event_type} is defined by more than one type: {}; an event type belongs to one \
                     Rust type, which defines its newest version (older versions live on in the \
                     published files): give the others an `event_type` of their own",
                    claimants.join(", ")
                )
            }
            Problem::Changed {
                event_type,
                version,
                rust_path,
                changes,
            } => changed(f, event_type, *version, rust_path.as_deref(), changes),
            Problem::Unpublished {
                event_type,
                version,
            } => write!(
                f,
                "{event_type} v{version} is published and cannot be marked `unreleased` again: remove \
                 `unreleased`, or bump `version` to {} to design the next version",
                version + 1
            ),
            Problem::Missing { path } => write!(
                f,
                "{path} is missing: published versions are kept forever; restore it from version control"
            ),
            Problem::Gap {
                event_type,
                from,
                to,
                drafts,
            } => {
                let missing: Vec<String> = (from + 1..*to).map(|v| format!("v{v}")).collect();
                write!(
                    f,
                    "{event_type} goes from v{from} to v{to} without {}: versions go up one at a time and \
                     every published one is kept; restore deleted files from version control",
                    missing.join(", ")
                )?;
                if !drafts.is_empty() {
                    let drafts: Vec<String> = drafts.iter().map(|v| format!("v{v}")).collect();
                    write!(
                        f,
                        " ({} never released: keep designing it as `unreleased` instead of bumping past it)",
                        drafts.join(", ")
                    )?;
                }
                Ok(())
            }
            Problem::WentBack {
                event_type,
                code,
                published,
            } => write!(
                f,
                "the code defines {event_type} v{code}, but v{published} is already published: versions \
                 never go back; define v{published} (or v{}) instead",
                published + 1
            ),
            Problem::UnreleasedNotNewest {
                event_type,
                version,
            } => write!(
                f,
                "{event_type} v{version} is unreleased but not the newest version: release it (remove \
                 `unreleased`) before designing the next"
            ),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}

/// Why the published files could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// A file could not be read.
    Io {
        /// Its path, relative to the output directory.
        path: String,
        /// Why.
        error: io::Error,
    },
    /// A generated file does not parse.
    Json {
        /// Its path, relative to the output directory.
        path: String,
        /// What the parser said.
        error: String,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io { path, error } => write!(f, "{path}: {error}"),
            ReadError::Json { path, error } => write!(f, "{path}: not as generated: {error}"),
        }
    }
}

impl std::error::Error for ReadError {}
