//! Published versions: what earlier runs of the generator committed, and the rules that keep it
//! immutable while the code moves on.
//!
//! A committed `schemas/events/<EventType>.v<N>.schema.json` is a published version, unless its
//! `$comment` says it is unreleased. [`read`] collects those files, their example files, and the
//! record of versions in the stream schema; [`plan`] merges them with the versions the code
//! defines, or refuses with every reason why not.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::path::Path;

use serde_json::Value;

use crate::compat::{Change, classify};
use crate::files::{EVENT_SCHEMAS, EXAMPLES, STREAM_SCHEMA, event_schema_path, examples_path};
use crate::{EventVersion, GENERATED_MARKER};

/// What the `$comment` of an unreleased version's schema file says after [`GENERATED_MARKER`].
pub const UNRELEASED_NOTE: &str = "unreleased: this version may still change";

/// The `$comment` of a generated event schema file.
pub fn schema_comment(unreleased: bool) -> String {
    if unreleased {
        format!("{GENERATED_MARKER}; {UNRELEASED_NOTE}")
    } else {
        GENERATED_MARKER.to_owned()
    }
}

/// `(eventType, version)`.
type Key = (String, u32);

/// What the repository holds of earlier runs.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Published {
    /// Every event schema file, by version.
    schemas: BTreeMap<Key, SchemaFile>,
    /// Every examples file's text, by version.
    examples: BTreeMap<Key, String>,
    /// The versions the stream schema lists, and whether each was unreleased.
    recorded: BTreeMap<Key, bool>,
}

/// One event schema file as committed.
#[derive(Debug, Clone, PartialEq)]
struct SchemaFile {
    /// Its text, line ends normalised.
    text: String,
    /// The schema, without its `$comment`.
    schema: Value,
    /// Whether its `$comment` marks it unreleased.
    unreleased: bool,
}

/// Reads what earlier runs published under `root`. Files whose names do not follow the
/// generator's pattern are left for [`crate::sync`] to report as stray.
///
/// # Errors
///
/// When a file cannot be read, or a schema file is not JSON.
pub fn read(root: &Path) -> Result<Published, ReadError> {
    let mut published = Published::default();
    for (name, text) in read_dir(root, EVENT_SCHEMAS)? {
        let Some(key) = name.strip_suffix(".schema.json").and_then(parse_key) else {
            continue;
        };
        let path = format!("{EVENT_SCHEMAS}/{name}");
        let mut schema: Value = serde_json::from_str(&text).map_err(|error| ReadError::Json {
            path: path.clone(),
            error: error.to_string(),
        })?;
        let comment = schema
            .as_object_mut()
            .and_then(|object| object.remove("$comment"));
        let unreleased = comment
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|c| c.ends_with(UNRELEASED_NOTE));
        published.schemas.insert(
            key,
            SchemaFile {
                text,
                schema,
                unreleased,
            },
        );
    }
    for (name, text) in read_dir(root, EXAMPLES)? {
        if let Some(key) = name.strip_suffix(".json").and_then(parse_key) {
            published.examples.insert(key, text);
        }
    }
    match std::fs::read_to_string(root.join(STREAM_SCHEMA)) {
        Ok(text) => {
            let stream: Value = serde_json::from_str(&text).map_err(|error| ReadError::Json {
                path: STREAM_SCHEMA.into(),
                error: error.to_string(),
            })?;
            for (name, schema) in stream
                .get("$defs")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(key) = parse_key(name) {
                    let comment = schema
                        .get("$comment")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    published
                        .recorded
                        .insert(key, comment.ends_with(UNRELEASED_NOTE));
                }
            }
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(ReadError::Io {
                path: STREAM_SCHEMA.into(),
                error,
            });
        }
    }
    Ok(published)
}

/// `<EventType>.v<N>` into its parts.
fn parse_key(stem: &str) -> Option<Key> {
    let (event_type, version) = stem.rsplit_once(".v")?;
    let valid_type = event_type
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase())
        && event_type.chars().all(|c| c.is_ascii_alphanumeric());
    let version: u32 = version.parse().ok().filter(|v| *v > 0)?;
    (valid_type && version.to_string() == stem.rsplit_once(".v")?.1)
        .then(|| (event_type.to_owned(), version))
}

/// The `(file name, text)` of every file directly in `root/dir`, line ends normalised.
fn read_dir(root: &Path, dir: &str) -> Result<Vec<(String, String)>, ReadError> {
    let io_error = |error| ReadError::Io {
        path: dir.to_owned(),
        error,
    };
    let entries = match std::fs::read_dir(root.join(dir)) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(io_error(error)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_error)?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !entry.file_type().map_err(io_error)?.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).map_err(|error| ReadError::Io {
            path: format!("{dir}/{name}"),
            error,
        })?;
        files.push((name, text.replace("\r\n", "\n")));
    }
    files.sort();
    Ok(files)
}

/// Why the published files could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// A file could not be read.
    Io {
        /// Its path, relative to the root.
        path: String,
        /// Why.
        error: io::Error,
    },
    /// A schema file is not JSON.
    Json {
        /// Its path, relative to the root.
        path: String,
        /// What the parser said.
        error: String,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io { path, error } => write!(f, "{path}: {error}"),
            ReadError::Json { path, error } => write!(f, "{path}: not JSON: {error}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// Merges the versions the code defines with what is published: every version to generate
/// files for, sorted by `eventType` then version.
///
/// Published versions no type defines anymore are kept, files byte for byte; a published
/// version the code still defines keeps its schema file byte for byte too.
///
/// # Errors
///
/// Every violation of the rules at once: a published version whose schema changed, or that is
/// marked unreleased again; a version missing between the first and the newest (files deleted
/// by hand, or a version skipped); code defining an older version than is published; an
/// unreleased version older than another.
pub fn plan(code: Vec<EventVersion>, published: &Published) -> Result<Vec<EventVersion>, Refusal> {
    let mut problems = Vec::new();
    let mut planned: BTreeMap<Key, EventVersion> = BTreeMap::new();
    let code_keys: BTreeSet<Key> = code
        .iter()
        .map(|v| (v.event_type.clone(), v.version))
        .collect();

    for mut version in code {
        let key = (version.event_type.clone(), version.version);
        if let Some(file) = published.schemas.get(&key).filter(|file| !file.unreleased) {
            if version.unreleased {
                problems.push(Problem::Unpublished {
                    event_type: key.0.clone(),
                    version: key.1,
                });
            } else if file.schema == version.schema {
                version.published_schema_file = Some(file.text.clone());
            } else {
                problems.push(Problem::Changed {
                    event_type: key.0.clone(),
                    version: key.1,
                    rust_path: version.rust_path.clone(),
                    changes: classify(&file.schema, &version.schema),
                });
            }
        }
        planned.insert(key, version);
    }

    // Published versions no type defines anymore: kept forever.
    for (key, file) in &published.schemas {
        if file.unreleased || code_keys.contains(key) {
            continue;
        }
        let Some(examples) = published.examples.get(key) else {
            problems.push(Problem::Missing {
                path: examples_path(&key.0, key.1),
            });
            continue;
        };
        let kept = EventVersion {
            event_type: key.0.clone(),
            version: key.1,
            unreleased: false,
            schema: file.schema.clone(),
            examples: split_examples(examples),
            rust_path: None,
            published_schema_file: Some(file.text.clone()),
            published_examples_file: Some(examples.clone()),
        };
        planned.insert(key.clone(), kept);
    }
    // Versions the stream schema lists as published whose files are gone.
    for (key, unreleased) in &published.recorded {
        if !unreleased && !planned.contains_key(key) && !published.schemas.contains_key(key) {
            problems.push(Problem::Missing {
                path: event_schema_path(&key.0, key.1),
            });
        }
    }

    problems.extend(version_order_problems(&planned, published));
    if problems.is_empty() {
        Ok(planned.into_values().collect())
    } else {
        Err(Refusal { problems })
    }
}

/// Versions of one event must run from the first to the newest without a gap, the code must
/// define the newest, and only the newest may be unreleased.
fn version_order_problems(
    planned: &BTreeMap<Key, EventVersion>,
    published: &Published,
) -> Vec<Problem> {
    let mut by_event: BTreeMap<&str, Vec<&EventVersion>> = BTreeMap::new();
    for version in planned.values() {
        by_event
            .entry(&version.event_type)
            .or_default()
            .push(version);
    }
    let mut problems = Vec::new();
    for (event_type, versions) in by_event {
        for pair in versions.windows(2) {
            let (older, newer) = (pair[0], pair[1]);
            if newer.version != older.version + 1 {
                let drafts = (older.version + 1..newer.version)
                    .filter(|v| {
                        published
                            .schemas
                            .get(&(event_type.to_owned(), *v))
                            .is_some_and(|f| f.unreleased)
                    })
                    .collect();
                problems.push(Problem::Gap {
                    event_type: event_type.to_owned(),
                    from: older.version,
                    to: newer.version,
                    drafts,
                });
            }
            if older.unreleased {
                problems.push(Problem::UnreleasedNotNewest {
                    event_type: event_type.to_owned(),
                    version: older.version,
                });
            }
        }
        let newest_in_code = versions
            .iter()
            .filter(|v| v.rust_path.is_some())
            .map(|v| v.version)
            .max();
        let newest = versions.iter().map(|v| v.version).max();
        if let (Some(code), Some(newest)) = (newest_in_code, newest)
            && code < newest
        {
            problems.push(Problem::WentBack {
                event_type: event_type.to_owned(),
                code,
                published: newest,
            });
        }
    }
    problems
}

/// The payloads of an examples file: one object, or an array of them.
fn split_examples(text: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items
            .iter()
            .map(|item| serde_json::to_string_pretty(item).unwrap_or_default())
            .collect(),
        _ => vec![text.trim_end().to_owned()],
    }
}

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
    /// A published version's schema changed.
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
        /// Its path, relative to the root.
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

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Changed {
                event_type,
                version,
                rust_path,
                changes,
            } => {
                writeln!(
                    f,
                    "{event_type} v{version} is published, and its schema changed:"
                )?;
                for change in changes {
                    writeln!(f, "  - {change}")?;
                }
                let at = rust_path
                    .as_ref()
                    .map(|path| format!(" on `{path}`"))
                    .unwrap_or_default();
                write!(
                    f,
                    "  published versions never change: bump `version` to {next} in #[telemetry(...)]{at} \
                     (v{version}'s schema and examples stay as they are), or undo the change",
                    next = version + 1
                )
            }
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

#[cfg(test)]
mod tests {
    use super::{parse_key, split_examples};

    #[test]
    fn parses_version_keys() {
        assert_eq!(
            parse_key("StageBuildFinished.v2"),
            Some(("StageBuildFinished".into(), 2))
        );
        assert_eq!(
            parse_key("Http2Request.v10"),
            Some(("Http2Request".into(), 10))
        );
        for bad in [
            "stage.v1",
            "Stage.v0",
            "Stage.v01",
            "Stage.vx",
            "Stage",
            "Sta-ge.v1",
            ".v1",
        ] {
            assert_eq!(parse_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn splits_examples_files() {
        assert_eq!(split_examples("{\n  \"a\": 1\n}\n"), ["{\n  \"a\": 1\n}"]);
        assert_eq!(split_examples("[{\"a\": 1}, {\"b\": 2}]").len(), 2);
    }
}
