//! Published versions: what earlier runs of the generator committed, and the rules that keep it
//! immutable while the code moves on.
//!
//! A committed `schemas/events/<EventType>.v<N>.schema.json` is a published version, unless its
//! `$comment` says it is unreleased. [`read`] collects those files, their example files, and the
//! record of every version and file the generator wrote (the [`catalogue`](crate::catalogue));
//! [`plan`] merges them with the versions the code defines, or refuses with every reason why not.
//!
//! The record is also what makes a file the generator's: it never rewrites, removes or reports a
//! file it did not write.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

use serde_json::Value;

use self::compat::{Change, Compatibility, classify, overall};
use self::record::{Key, Recorded};
use crate::model::fields::{self, Classifications};
use crate::model::version::EventVersion;
use crate::paths::{
    CATALOGUE, CLICKHOUSE, DOCS, EVENT_SCHEMAS, EXAMPLES, GENERATED_MARKER, LOG_LINE_SCHEMA,
    STREAM_SCHEMA, event_schema_path, examples_path,
};

pub mod compat;
pub(crate) mod problems;
pub(crate) mod record;

pub use self::problems::{Problem, ReadError, Refusal};
pub use crate::model::amendment::{Amendment, AmendmentKind};
pub use crate::paths::{UNRELEASED_NOTE, schema_comment};

/// What the repository holds of earlier runs.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Published {
    /// Every event schema file the generator wrote, by version.
    schemas: BTreeMap<Key, SchemaFile>,
    /// Every examples file's text, by version.
    examples: BTreeMap<Key, String>,
    /// Every version the record lists.
    recorded: BTreeMap<Key, Recorded>,
    /// The files at fixed paths (the stream schema, the docs, ...) that say they are generated.
    fixed: BTreeSet<&'static str>,
}

/// The paths of the files every run writes (or, for the ClickHouse tables, may write).
const FIXED_PATHS: [&str; 5] = [STREAM_SCHEMA, DOCS, CATALOGUE, LOG_LINE_SCHEMA, CLICKHOUSE];

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

/// Reads what earlier runs wrote under `base` (the generator's output directory). Only files
/// the record lists, or event schema files that say they are generated, are read.
///
/// # Errors
///
/// When a file cannot be read, or a generated JSON file does not parse.
pub fn read(base: &Path) -> Result<Published, ReadError> {
    let mut fixed = BTreeSet::new();
    for path in FIXED_PATHS {
        if read_optional(base, path)?.is_some_and(|text| text.contains(GENERATED_MARKER)) {
            fixed.insert(path);
        }
    }
    let mut published = Published {
        recorded: read_record(base, &fixed)?,
        fixed,
        ..Published::default()
    };
    for (name, text) in read_dir(base, EVENT_SCHEMAS)? {
        let Some(key) = name.strip_suffix(".schema.json").and_then(parse_key) else {
            continue;
        };
        let path = format!("{EVENT_SCHEMAS}/{name}");
        let Ok(mut schema) = serde_json::from_str::<Value>(&text) else {
            if published.recorded.contains_key(&key) {
                return Err(ReadError::Json {
                    path,
                    error: "not JSON".into(),
                });
            }
            continue;
        };
        let comment = schema
            .as_object_mut()
            .and_then(|object| object.remove("$comment"));
        let comment = comment.as_ref().and_then(Value::as_str).unwrap_or_default();
        if !comment.starts_with(GENERATED_MARKER) && !published.recorded.contains_key(&key) {
            // Somebody else's file that happens to be named like ours.
            continue;
        }
        let unreleased = comment.ends_with(UNRELEASED_NOTE);
        published.schemas.insert(
            key,
            SchemaFile {
                text,
                schema,
                unreleased,
            },
        );
    }
    for (name, text) in read_dir(base, EXAMPLES)? {
        if let Some(key) = name.strip_suffix(".json").and_then(parse_key)
            && (published.recorded.contains_key(&key) || published.schemas.contains_key(&key))
        {
            published.examples.insert(key, text);
        }
    }
    Ok(published)
}

/// The record of every version written: the catalogue, or, from before there was one, the
/// versions the stream schema embeds (`$defs` named `<EventType>.v<N>`); only a file that says
/// it is generated (among the `fixed` ones) is a record, a file of the user's at its path none.
fn read_record(
    base: &Path,
    fixed: &BTreeSet<&'static str>,
) -> Result<BTreeMap<Key, Recorded>, ReadError> {
    if fixed.contains(CATALOGUE)
        && let Some(text) = read_optional(base, CATALOGUE)?
    {
        return record::parse(&text).map_err(|error| ReadError::Json {
            path: CATALOGUE.into(),
            error,
        });
    }
    let stream = if fixed.contains(STREAM_SCHEMA) {
        read_optional(base, STREAM_SCHEMA)?
    } else {
        None
    };
    let Some(text) = stream else {
        return Ok(BTreeMap::new());
    };
    let stream: Value = serde_json::from_str(&text).map_err(|error| ReadError::Json {
        path: STREAM_SCHEMA.into(),
        error: error.to_string(),
    })?;
    let mut recorded = BTreeMap::new();
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
            let unreleased = comment.ends_with(UNRELEASED_NOTE);
            recorded.insert(
                key,
                Recorded {
                    unreleased,
                    ..Recorded::default()
                },
            );
        }
    }
    Ok(recorded)
}

impl Published {
    /// Every path (relative to the output directory) an earlier run wrote: the files that are
    /// the generator's to rewrite, or to remove when it no longer writes them. A file at a fixed
    /// path is one only when it says so: the user's own file there is never the generator's.
    pub fn generated_paths(&self) -> BTreeSet<String> {
        let mut paths: BTreeSet<String> =
            self.fixed.iter().map(|path| (*path).to_owned()).collect();
        for (event_type, version) in self.recorded.keys().chain(self.schemas.keys()) {
            paths.insert(event_schema_path(event_type, *version));
            paths.insert(examples_path(event_type, *version));
        }
        paths
    }
}

/// `<EventType>.v<N>` into its parts.
pub(crate) fn parse_key(stem: &str) -> Option<Key> {
    let (event_type, version) = stem.rsplit_once(".v")?;
    let valid_type = event_type
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase())
        && event_type.chars().all(|c| c.is_ascii_alphanumeric());
    let number: u32 = version.parse().ok().filter(|v| *v > 0)?;
    (valid_type && number.to_string() == version).then(|| (event_type.to_owned(), number))
}

/// A file's text, line ends normalised; `None` when it does not exist.
fn read_optional(base: &Path, path: &str) -> Result<Option<String>, ReadError> {
    match std::fs::read_to_string(base.join(path)) {
        Ok(text) => Ok(Some(text.replace("\r\n", "\n"))),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(ReadError::Io {
            path: path.into(),
            error,
        }),
    }
}

/// The `(file name, text)` of every file directly in `base/dir`, line ends normalised.
fn read_dir(base: &Path, dir: &str) -> Result<Vec<(String, String)>, ReadError> {
    let io_error = |error| ReadError::Io {
        path: dir.to_owned(),
        error,
    };
    let entries = match std::fs::read_dir(base.join(dir)) {
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
        if !entry.file_type().map_err(io_error)?.is_file() || parse_key_of_file(&name).is_none() {
            continue;
        }
        let path = format!("{dir}/{name}");
        if let Some(text) = read_optional(base, &path)? {
            files.push((name, text));
        }
    }
    files.sort();
    Ok(files)
}

/// The version a generated file's name stands for: `<Key>.schema.json` or `<Key>.json`.
fn parse_key_of_file(name: &str) -> Option<Key> {
    name.strip_suffix(".schema.json")
        .or_else(|| name.strip_suffix(".json"))
        .and_then(parse_key)
}

/// Merges the versions the code defines with what is published: every version to generate
/// files for, sorted by `eventType` then version.
///
/// Published versions no type defines anymore are kept, files byte for byte; a published
/// version the code still defines keeps its schema file byte for byte too, unless only its
/// descriptions changed, or it now accepts more and `widening` gives the reason for correcting
/// it so: then the file is rewritten and the change recorded as an [`Amendment`].
///
/// # Errors
///
/// Every violation of the rules at once: an event type defined by more than one type; a
/// published version whose validation changed (unless it only widened, with a `widening`
/// reason), or that is marked unreleased again; a version
/// missing between the first and the newest (files deleted by hand, or a version skipped); code
/// defining an older version than is published; an unreleased version older than another.
pub fn plan(
    code: Vec<EventVersion>,
    published: &Published,
    standardise: &dyn Fn(&mut Value, &str, u32),
    widening: Option<&str>,
) -> Result<Vec<EventVersion>, Refusal> {
    let mut problems = several_types(&code);
    let mut planned: BTreeMap<Key, EventVersion> = BTreeMap::new();
    let code_keys: BTreeSet<Key> = code
        .iter()
        .map(|v| (v.event_type.clone(), v.version))
        .collect();

    for mut version in code {
        let key = (version.event_type.clone(), version.version);
        let recorded = published.recorded.get(&key).cloned().unwrap_or_default();
        version.definition_names = recorded.definition_names;
        if let Some(file) = published.schemas.get(&key).filter(|file| !file.unreleased) {
            version.amendments = recorded.amendments;
            let held = Held {
                file,
                recorded: &recorded.classifications,
                standardise,
                widening,
            };
            if let Some(problem) = held.amend(&mut version) {
                problems.push(problem);
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
        let recorded = published.recorded.get(key).cloned().unwrap_or_default();
        let mut amendments = recorded.amendments;
        // No type defines it anymore: the file is kept, in standard keywords.
        let mut schema = file.schema.clone();
        standardise(&mut schema, &key.0, key.1);
        let mechanical = classify(&file.schema, &schema);
        if !mechanical.is_empty() {
            amendments.push(Amendment {
                kind: AmendmentKind::StandardKeywords,
                changes: mechanical.iter().map(ToString::to_string).collect(),
                reason: None,
            });
        }
        // A catalogue older than classifications recorded none: the envelope's are known.
        let mut classifications = recorded.classifications;
        for (path, classification) in fields::classify(&schema, &[]).0 {
            classifications.entry(path).or_insert(classification);
        }
        let kept = EventVersion {
            event_type: key.0.clone(),
            version: key.1,
            unreleased: false,
            published_schema_file: (schema == file.schema).then(|| file.text.clone()),
            schema,
            examples: split_examples(examples),
            rust_path: None,
            published_examples_file: Some(examples.clone()),
            amendments,
            definition_names: recorded.definition_names,
            classifications,
        };
        planned.insert(key.clone(), kept);
    }
    // Versions the record lists as published whose files are gone.
    for (key, recorded) in &published.recorded {
        if !recorded.unreleased
            && !planned.contains_key(key)
            && !published.schemas.contains_key(key)
        {
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

/// A published version's file, and what a version the code defines is held to against it.
struct Held<'a> {
    /// The published file.
    file: &'a SchemaFile,
    /// The classifications recorded when it was last written.
    recorded: &'a Classifications,
    /// Today's generator's rewrite of a schema in standard keywords.
    standardise: &'a dyn Fn(&mut Value, &str, u32),
    /// Why published versions may be widened in this run, if they may.
    widening: Option<&'a str>,
}

impl Held<'_> {
    /// Holds `version`, which the code defines, to the published file: the file is kept byte
    /// for byte when the schema is the same; corrected descriptions, a rewrite in standard
    /// keywords, a widening with a reason and changed classifications are amendments; anything
    /// else, or marking it unreleased again, is the problem returned.
    fn amend(&self, version: &mut EventVersion) -> Option<Problem> {
        let problem = self.hold_schema(version);
        // What a field is, or why it is sent, is documentation: correcting it needs no new
        // version, but the history says it changed.
        let reclassified = fields::changes(self.recorded, &version.classifications);
        if !reclassified.is_empty() {
            version.amendments.push(Amendment {
                kind: AmendmentKind::Classification,
                changes: reclassified,
                reason: None,
            });
        }
        problem
    }

    fn hold_schema(&self, version: &mut EventVersion) -> Option<Problem> {
        let file = self.file;
        if version.unreleased {
            return Some(Problem::Unpublished {
                event_type: version.event_type.clone(),
                version: version.version,
            });
        }
        if file.schema == version.schema {
            version.published_schema_file = Some(file.text.clone());
            return None;
        }
        // What today's generator makes of the file: the rules it holds a published version to
        // are about the version, not about how an older generator wrote it.
        let mut baseline = file.schema.clone();
        (self.standardise)(&mut baseline, &version.event_type, version.version);
        let changes = classify(&baseline, &version.schema);
        let (annotations, validation): (Vec<&Change>, Vec<&Change>) =
            changes.iter().partition(|change| change.is_annotation());
        let widened = !validation.is_empty()
            && overall(&changes) == Some(Compatibility::Compatible)
            && self.widening.is_some();
        if !validation.is_empty() && !widened {
            return Some(Problem::Changed {
                event_type: version.event_type.clone(),
                version: version.version,
                rust_path: version.rust_path.clone(),
                changes,
            });
        }
        let mechanical = classify(&file.schema, &baseline);
        let words = |changes: &[&Change]| changes.iter().map(ToString::to_string).collect();
        let amendments = [
            (
                AmendmentKind::StandardKeywords,
                mechanical.iter().map(ToString::to_string).collect(),
                None,
            ),
            (AmendmentKind::Descriptions, words(&annotations), None),
            (
                AmendmentKind::Widening,
                words(&validation),
                self.widening.map(str::to_owned),
            ),
        ];
        for (kind, changes, reason) in amendments {
            let changes: Vec<String> = changes;
            if !changes.is_empty() {
                version.amendments.push(Amendment {
                    kind,
                    changes,
                    reason,
                });
            }
        }
        None
    }
}

/// An event type is one Rust type's history: two types defining it are refused.
fn several_types(code: &[EventVersion]) -> Vec<Problem> {
    let mut by_type: BTreeMap<&str, Vec<(String, u32)>> = BTreeMap::new();
    for version in code {
        by_type.entry(&version.event_type).or_default().push((
            version.rust_path.clone().unwrap_or_default(),
            version.version,
        ));
    }
    by_type
        .into_iter()
        .filter(|(_, claimants)| claimants.len() > 1)
        .map(|(event_type, mut claimants)| {
            claimants.sort();
            Problem::SeveralTypes {
                event_type: event_type.to_owned(),
                claimants,
            }
        })
        .collect()
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
            let [older, newer] = pair else { continue };
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
