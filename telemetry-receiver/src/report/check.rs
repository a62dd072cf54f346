//! The live check's [`Report`]: how many events of each version arrived, every failure with its
//! errors, and coverage: the versions the catalogue records as sent that never arrived, and the
//! fields of those that did that no event carried. Also the offline check of a log file's lines
//! ([`check_lines`]), which reports the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::BufRead;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::accept::contract::Contract;
use crate::accept::document::Document;
use crate::accept::envelope::Envelope;
use crate::accept::failure::{FailureKind, FailureRecord};
use crate::accept::receive;
use crate::day::now_ms;
use crate::error::Error;
use crate::serve::counts::Counts;
use crate::store::Kind;

/// What a live or offline check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The exit code of the command checked, when a command was run (`None` when it was
    /// killed by a signal, or for an offline check).
    pub command_exit_code: Option<i32>,
    /// Whether a command was run and did not exit as expected (0, or one of `check
    /// --expect-exit`'s codes).
    pub command_failed: bool,
    /// Whether a run that sends no event passes (`check --allow-no-events`): a command that
    /// sends none by design, as `werf version` does.
    pub no_events_allowed: bool,
    /// Events received, stored, failed and ignored, by version.
    pub counts: Counts,
    /// The failures, in the order received: every one of a live check; the first
    /// [`MAX_FAILURES_KEPT`](Self::MAX_FAILURES_KEPT) of a log file checked offline (the counts
    /// have them all).
    pub failures: Vec<FailureRecord>,
    /// Failures left out of `failures`, past the first ones kept.
    pub failures_left_out: u64,
    /// Versions the program sends, by the catalogue, of which no event arrived.
    pub unseen_versions: Vec<String>,
    /// For each version that arrived, the paths of its fields no event carried.
    pub unseen_fields: BTreeMap<String, Vec<String>>,
}

impl Report {
    /// Whether the check passed: the command (if any) exited 0, at least one event arrived, none
    /// failed, and no request was refused (a refused request's events never arrived).
    pub fn is_clean(&self) -> bool {
        self.problems().is_empty()
    }

    /// Why the check did not pass; empty when it did.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.command_failed {
            problems.push(match self.command_exit_code {
                Some(code) => format!("the command exited {code}"),
                None => "the command was killed by a signal".to_owned(),
            });
        }
        if self.counts.stored + self.counts.failed == 0 && !self.no_events_allowed {
            problems.push("no event arrived".to_owned());
        }
        let failed = self.failures.len() as u64 + self.failures_left_out;
        if failed > 0 {
            problems.push(format!("{failed} event(s) failed"));
        }
        let refused = &self.counts.refused;
        if refused.total() > 0 {
            let reasons: Vec<String> = refused
                .requests
                .iter()
                .map(|(reason, count)| format!("{count} × {reason}"))
                .collect();
            problems.push(format!(
                "{} request(s) refused ({}), their events lost",
                refused.total(),
                reasons.join(", ")
            ));
        }
        problems
    }

    /// Panics, with the whole report, unless the check passed: the one line of a test that
    /// runs a program against a [`LiveCheck`](crate::LiveCheck).
    ///
    /// # Panics
    ///
    /// When the check did not pass.
    #[track_caller]
    pub fn assert_clean(&self) {
        assert!(self.is_clean(), "the live check failed:\n{self}");
    }

    /// The report as JSON (`--report FILE`).
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.insert("clean".into(), self.is_clean().into());
            object.insert("problems".into(), self.problems().into());
        }
        serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
    }

    /// The most failures a check of a log file keeps whole: its memory does not grow with the
    /// file.
    pub const MAX_FAILURES_KEPT: usize = 1000;

    /// The report of `counts`, `failures` and the events stored (`lines`), against `contract`.
    pub(crate) fn new<'a>(
        contract: &Contract,
        counts: Counts,
        failures: Vec<FailureRecord>,
        lines: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut coverage = Coverage::default();
        for line in lines {
            coverage.add(line);
        }
        Self::of(contract, counts, (failures, 0), &coverage)
    }

    /// The report of `counts`, the failures kept and how many were left out, and what the
    /// events stored covered, against `contract`.
    fn of(
        contract: &Contract,
        counts: Counts,
        (failures, failures_left_out): (Vec<FailureRecord>, u64),
        coverage: &Coverage,
    ) -> Self {
        let (unseen_versions, unseen_fields) = coverage.unseen(contract);
        Report {
            command_exit_code: None,
            command_failed: false,
            no_events_allowed: false,
            counts,
            failures,
            failures_left_out,
            unseen_versions,
            unseen_fields,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.counts)?;
        for failure in &self.failures {
            writeln!(f, "failed: {}: {}", failure.version_key(), failure.message)?;
            for error in &failure.errors {
                writeln!(
                    f,
                    "  at {}: {} ({})",
                    error.pointer, error.message, error.keyword
                )?;
            }
        }
        if self.failures_left_out > 0 {
            writeln!(
                f,
                "… and {} more failure(s), left out",
                self.failures_left_out
            )?;
        }
        if self.unseen_versions.is_empty() {
            writeln!(f, "coverage: every event version was seen")?;
        } else {
            writeln!(f, "never seen: {}", self.unseen_versions.join(", "))?;
        }
        for (version, fields) in &self.unseen_fields {
            writeln!(f, "fields of {version} never seen: {}", fields.join(", "))?;
        }
        match self.problems().as_slice() {
            [] => writeln!(f, "result: clean"),
            problems => writeln!(f, "result: FAILED: {}", problems.join("; ")),
        }
    }
}

/// The field paths each version's events carried, gathered line by line.
#[derive(Debug, Default)]
struct Coverage {
    seen: BTreeMap<(String, u32), BTreeSet<String>>,
}

impl Coverage {
    /// Adds the paths of the envelope `line`.
    fn add(&mut self, line: &str) {
        let Ok(envelope) = serde_json::from_str::<Value>(line) else {
            return;
        };
        let key = envelope.get("eventType").and_then(Value::as_str).zip(
            envelope
                .get("schemaVersion")
                .and_then(Value::as_u64)
                .and_then(|version| u32::try_from(version).ok()),
        );
        if let Some((event_type, version)) = key {
            let paths = self
                .seen
                .entry((event_type.to_owned(), version))
                .or_default();
            paths_of(&envelope, "", paths);
        }
    }

    /// The versions the contract's program sends that no line was of, and for those some line
    /// was of, the field paths no line had.
    fn unseen(&self, contract: &Contract) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
        let mut unseen_versions = Vec::new();
        let mut unseen_fields = BTreeMap::new();
        for ((event_type, version), fields) in contract.sent_versions() {
            let key = format!("{event_type}.v{version}");
            match self.seen.get(&(event_type.clone(), *version)) {
                None => unseen_versions.push(key),
                Some(paths) => {
                    let missing: Vec<String> = fields
                        .iter()
                        .filter(|field| !paths.contains(*field))
                        .cloned()
                        .collect();
                    if !missing.is_empty() {
                        unseen_fields.insert(key, missing);
                    }
                }
            }
        }
        (unseen_versions, unseen_fields)
    }
}

/// Every path of `value` (at `path`), as the catalogue writes them: `a.b`, `a[].c`.
fn paths_of(value: &Value, path: &str, paths: &mut BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                paths_of(child, &child_path, paths);
                paths.insert(child_path);
            }
        }
        Value::Array(items) => {
            let elements = format!("{path}[]");
            for item in items {
                paths_of(item, &elements, paths);
            }
        }
        _ => {}
    }
}

/// The stored lines and failure records in the data folder `data`.
///
/// # Errors
///
/// When a file cannot be read, or a failure record is not one.
pub(crate) fn read_data(data: &Path) -> Result<(Vec<String>, Vec<FailureRecord>), Error> {
    let read = |kind: Kind| -> Result<Vec<String>, Error> {
        let folder = data.join(kind.folder());
        let mut names: Vec<_> = std::fs::read_dir(&folder)
            .map_err(|error| Error::new(format!("cannot read {}: {error}", folder.display())))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        names.sort();
        let mut lines = Vec::new();
        for path in names {
            let text = std::fs::read_to_string(&path)
                .map_err(|error| Error::new(format!("cannot read {}: {error}", path.display())))?;
            lines.extend(text.lines().map(str::to_owned));
        }
        Ok(lines)
    };
    let events = read(Kind::Events)?;
    let failures = read(Kind::Failed)?
        .iter()
        .map(|line| {
            serde_json::from_str(line)
                .map_err(|error| Error::new(format!("a failure record is not one: {error}")))
        })
        .collect::<Result<_, _>>()?;
    Ok((events, failures))
}

/// The offline check: every event line of a log file's `text` (diagnostic lines, which have a
/// `diagnostic` key, left out) checked against `contract`.
pub fn check_lines(contract: &Contract, text: &str) -> Report {
    // Reading from memory cannot fail.
    check_reader(contract, text.as_bytes())
        .unwrap_or_else(|_| Report::new(contract, Counts::default(), Vec::new(), []))
}

/// [`check_lines`] of what `reader` reads, a line at a time: memory grows with the longest
/// line and the versions seen, not with the file (failures past
/// [`Report::MAX_FAILURES_KEPT`] are counted, not kept).
///
/// # Errors
///
/// When reading fails.
pub fn check_reader(contract: &Contract, mut reader: impl BufRead) -> std::io::Result<Report> {
    let received_at = now_ms();
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    let mut left_out = 0_u64;
    let mut coverage = Coverage::default();
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        if reader.read_until(b'\n', &mut buffer)? == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&buffer);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        match check_line(contract, line, received_at) {
            None => {}
            Some(Ok(event)) => {
                counts.stored(event.version_key(), 1);
                coverage.add(line);
            }
            Some(Err(record)) => {
                counts.failed(record.version_key(), 1);
                if failures.len() < Report::MAX_FAILURES_KEPT {
                    failures.push(*record);
                } else {
                    left_out += 1;
                }
            }
        }
    }
    Ok(Report::of(
        contract,
        counts,
        (failures, left_out),
        &coverage,
    ))
}

/// One line of a log file checked: `None` for a diagnostic line.
fn check_line(
    contract: &Contract,
    line: &str,
    received_at: u64,
) -> Option<Result<Envelope, Box<FailureRecord>>> {
    let document = match serde_json::from_str::<Document<'_>>(line) {
        Ok(Document::Object(members)) if members.get("diagnostic").is_some() => return None,
        Ok(document) => document,
        Err(error) => {
            let mut record = FailureRecord::new(
                received_at,
                FailureKind::NotJson,
                format!("the line is not JSON: {error}"),
            );
            line.clone_into(&mut record.envelope);
            return Some(Err(Box::new(record)));
        }
    };
    let field = |key: &str| match &document {
        Document::Object(members) => members.get(key),
        _ => None,
    };
    let event = Envelope {
        line: line.as_bytes().to_vec(),
        event_type: match field("eventType") {
            Some(Document::String(event_type)) => event_type.clone().into_owned(),
            _ => String::new(),
        },
        schema_version: match field("schemaVersion") {
            Some(Document::Number(version)) => version.as_i64().unwrap_or_default(),
            _ => 0,
        },
    };
    Some(receive::check(contract, event, &document, received_at, ""))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::paths_of;

    #[test]
    fn paths_as_the_catalogue_writes_them() {
        let value =
            serde_json::json!({ "a": { "b": 1 }, "c": [{ "d": 2 }, { "e": [3] }], "f": [] });
        let mut paths = BTreeSet::new();
        paths_of(&value, "", &mut paths);
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        assert_eq!(paths, ["a", "a.b", "c", "c[].d", "c[].e", "f"]);
    }
}
