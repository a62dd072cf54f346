//! Erasure: every stored event and failure record of some installations (by `userID`) or
//! projects (by `projectID`) removed from every day's file, while a receiver may be writing to
//! them. Each file that holds one is rewritten beside itself (in `DATA/.forget/`), synced,
//! renamed over the old one and the folder synced, all under the write lock, so that a crash at
//! any moment leaves the old file or the new one, whole, and the receiver's writer waits, then
//! appends to the new file. A torn tail moved aside that holds an ID is deleted whole. The
//! erasure is recorded in `DATA/erasures.jsonl` by the IDs' SHA-256, never the IDs.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead as _, BufReader, Write as _};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::files::Kind;
use super::files::{private_append, private_dir, private_read};
use super::lock::WriteLock;
use crate::accept::failure::sha256_hex;
use crate::day::now_ms;
use crate::error::Error;

/// What to forget.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ids {
    /// `userID`s: installations.
    pub user_ids: Vec<String>,
    /// `projectID`s.
    pub project_ids: Vec<String>,
}

/// What [`forget`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Forgotten {
    /// Lines removed, by file (relative to the data folder); torn tails deleted count 1.
    pub removed: BTreeMap<String, u64>,
}

impl Forgotten {
    /// Lines removed in all.
    pub fn total(&self) -> u64 {
        self.removed.values().sum()
    }
}

/// Removes every line of `ids` from the data folder `data`, and records the erasure.
///
/// # Errors
///
/// When an ID is empty, or a file cannot be read, written or replaced (what was replaced
/// before stays replaced; run it again).
pub fn forget(data: &Path, ids: &Ids) -> Result<Forgotten, Error> {
    if ids.user_ids.is_empty() && ids.project_ids.is_empty() {
        return Err(Error::new(
            "nothing to forget: give --user-id or --project-id",
        ));
    }
    if ids
        .user_ids
        .iter()
        .chain(&ids.project_ids)
        .any(String::is_empty)
    {
        return Err(Error::new(
            "an empty ID would match every event sent without one: give IDs that are not empty",
        ));
    }
    let io = |what: &str, error: io::Error| Error::new(format!("cannot {what}: {error}"));
    let scratch = data.join(".forget");
    // What a crash left half written is never anyone's data: the files it was to replace are
    // whole.
    let _ = std::fs::remove_dir_all(&scratch);
    private_dir(&scratch).map_err(|error| io("make .forget/", error))?;
    let lock = WriteLock::open(data)?;
    let mut forgotten = Forgotten::default();
    for kind in [Kind::Events, Kind::Failed] {
        for name in names(&data.join(kind.folder())) {
            let relative = format!("{}/{name}", kind.folder());
            let path = data.join(&relative);
            // Most files hold none: reading them first keeps the writer waiting only for those
            // that do.
            if !holds_any(&path, kind, ids)
                .map_err(|error| io(&format!("read {relative}"), error))?
            {
                continue;
            }
            let _writing = lock.hold()?;
            let removed = rewrite(&path, &scratch.join(&name), kind, ids)
                .map_err(|error| io(&format!("rewrite {relative}"), error))?;
            if removed > 0 {
                forgotten.removed.insert(relative, removed);
            }
        }
    }
    for name in names(&data.join("quarantine")) {
        let relative = format!("quarantine/{name}");
        let path = data.join(&relative);
        let text = std::fs::read(&path).map_err(|error| io(&format!("read {relative}"), error))?;
        if mentions(&String::from_utf8_lossy(&text), ids) {
            std::fs::remove_file(&path)
                .map_err(|error| io(&format!("remove {relative}"), error))?;
            forgotten.removed.insert(relative, 1);
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    record(data, ids, &forgotten).map_err(|error| io("write erasures.jsonl", error))?;
    Ok(forgotten)
}

/// The names of the files directly in `folder`, sorted.
fn names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// Whether a line of the file at `path` is of one of `ids`.
fn holds_any(path: &Path, kind: Kind, ids: &Ids) -> io::Result<bool> {
    let mut reader = BufReader::new(private_read(path)?);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(false);
        }
        if is_of(&line, kind, ids) {
            return Ok(true);
        }
    }
}

/// Writes the lines of `path` not of `ids` to `scratch`, syncs it, renames it over `path` and
/// syncs the folder; returns how many lines were left out.
fn rewrite(path: &Path, scratch: &Path, kind: Kind, ids: &Ids) -> io::Result<u64> {
    let mut reader = BufReader::new(private_read(path)?);
    let mut out = io::BufWriter::new(private_append(scratch)?);
    let mut removed = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if is_of(&line, kind, ids) {
            removed += 1;
        } else {
            out.write_all(&line)?;
        }
    }
    let out = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    out.sync_all()?;
    drop(out);
    if removed == 0 {
        std::fs::remove_file(scratch)?;
        return Ok(0);
    }
    std::fs::rename(scratch, path)?;
    if let Some(folder) = path.parent() {
        File::open(folder)?.sync_all()?;
    }
    Ok(removed)
}

/// Whether `line` (an envelope of `events/`, a record of `failed/`) is of one of `ids`.
fn is_of(line: &[u8], kind: Kind, ids: &Ids) -> bool {
    let Ok(value) = serde_json::from_slice::<Value>(line) else {
        // A line that is not JSON: of the IDs when it holds one, as a JSON string would.
        return mentions(&String::from_utf8_lossy(line), ids);
    };
    match kind {
        Kind::Events => envelope_is_of(&value, ids),
        Kind::Failed => {
            let envelope = value
                .get("envelope")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let attributes = value.get("attributes");
            let attribute = |key: &str| {
                attributes
                    .and_then(|attributes| attributes.get(key))
                    .and_then(Value::as_str)
            };
            attribute("userID").is_some_and(|id| ids.user_ids.iter().any(|user| user == id))
                || attribute("projectID")
                    .is_some_and(|id| ids.project_ids.iter().any(|project| project == id))
                || match serde_json::from_str::<Value>(envelope) {
                    Ok(envelope) => envelope_is_of(&envelope, ids),
                    Err(_) => mentions(envelope, ids),
                }
                // An undecodable body: its IDs are in the protobuf or JSON somewhere.
                || decoded_body_mentions(&value, ids)
        }
    }
}

/// Whether the envelope `value` carries one of `ids`.
fn envelope_is_of(value: &Value, ids: &Ids) -> bool {
    let field = |key: &str| value.get(key).and_then(Value::as_str);
    field("userID").is_some_and(|id| ids.user_ids.iter().any(|user| user == id))
        || field("projectID").is_some_and(|id| ids.project_ids.iter().any(|project| project == id))
}

/// Whether `text` holds one of `ids`.
fn mentions(text: &str, ids: &Ids) -> bool {
    ids.user_ids
        .iter()
        .chain(&ids.project_ids)
        .any(|id| text.contains(id.as_str()))
}

/// Whether the base64 `body` of a failure record holds one of `ids`.
fn decoded_body_mentions(record: &Value, ids: &Ids) -> bool {
    let body = record
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if body.is_empty() {
        return false;
    }
    let bytes = unbase64(body);
    ids.user_ids.iter().chain(&ids.project_ids).any(|id| {
        bytes
            .windows(id.len())
            .any(|window| window == id.as_bytes())
    })
}

/// Standard base64 decoded, what is not of its alphabet skipped.
fn unbase64(text: &str) -> Vec<u8> {
    let value = |byte: u8| match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let sextets: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(sextets.len() * 3 / 4);
    for chunk in sextets.chunks(4) {
        let n = chunk.iter().enumerate().fold(0_u32, |n, (index, &sextet)| {
            n | u32::from(sextet) << (18 - 6 * index)
        });
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

/// Appends the erasure to `DATA/erasures.jsonl`: when, each ID's kind and SHA-256 (never the
/// ID), and what was removed from which file; synced.
fn record(data: &Path, ids: &Ids, forgotten: &Forgotten) -> io::Result<()> {
    let hashed = |kind: &str, id: &String| {
        let hex = sha256_hex(id.as_bytes());
        serde_json::json!({ "kind": kind, "sha256": hex })
    };
    let line = serde_json::json!({
        "erasedAt": now_ms(),
        "ids": ids
            .user_ids
            .iter()
            .map(|id| hashed("userID", id))
            .chain(ids.project_ids.iter().map(|id| hashed("projectID", id)))
            .collect::<Vec<_>>(),
        "removed": forgotten.removed,
        "lines": forgotten.total(),
    });
    let path = data.join("erasures.jsonl");
    let mut file = private_append(&path)?;
    writeln!(file, "{line}")?;
    file.sync_all()?;
    File::open(data)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::{Ids, forget, unbase64};
    use crate::accept::failure::base64;

    #[test]
    fn base64_comes_back() {
        for bytes in [&b""[..], b"f", b"fo", b"foo", b"foob", &[0xff, 0xfe, 0x00]] {
            assert_eq!(unbase64(&base64(bytes)), bytes);
        }
    }

    #[test]
    fn only_the_lines_of_the_ids_go_and_the_record_holds_no_id() {
        let data = tempfile::tempdir().unwrap();
        let events = data.path().join("events");
        let failed = data.path().join("failed");
        std::fs::create_dir_all(&events).unwrap();
        std::fs::create_dir_all(&failed).unwrap();
        let event = |user: &str, project: &str| {
            format!(
                "{{\"ts\":1,\"userID\":\"{user}\",\"projectID\":\"{project}\",\"command\":\"x\"}}\n"
            )
        };
        std::fs::write(
            events.join("2026-12-01.jsonl"),
            event("gone", "p1") + &event("kept", "p1") + &event("kept", "p2"),
        )
        .unwrap();
        std::fs::write(events.join("2026-12-02.jsonl"), event("kept", "p1")).unwrap();
        let record = serde_json::json!({
            "envelope": event("gone", "p3").trim_end(), "attributes": {}, "body": "",
        });
        let undecodable = serde_json::json!({
            "envelope": "", "attributes": {}, "body": base64(b"\x12\x04gone"),
        });
        std::fs::write(
            failed.join("2026-12-01.jsonl"),
            format!(
                "{record}\n{undecodable}\n{}\n",
                serde_json::json!({"envelope": "", "attributes": {"projectID": "p2"}, "body": ""})
            ),
        )
        .unwrap();
        let before_untouched = std::fs::metadata(events.join("2026-12-02.jsonl")).unwrap();
        let forgotten = forget(
            data.path(),
            &Ids {
                user_ids: vec!["gone".into()],
                project_ids: vec!["p2".into()],
            },
        )
        .unwrap();
        assert_eq!(forgotten.removed["events/2026-12-01.jsonl"], 2);
        assert_eq!(forgotten.removed["failed/2026-12-01.jsonl"], 3);
        assert_eq!(forgotten.total(), 5);
        assert_eq!(
            std::fs::read_to_string(events.join("2026-12-01.jsonl")).unwrap(),
            event("kept", "p1")
        );
        assert_eq!(
            std::fs::read_to_string(failed.join("2026-12-01.jsonl")).unwrap(),
            ""
        );
        // A file with none of the IDs is not rewritten.
        let after_untouched = std::fs::metadata(events.join("2026-12-02.jsonl")).unwrap();
        assert_eq!(
            before_untouched.modified().unwrap(),
            after_untouched.modified().unwrap()
        );
        let erasures = std::fs::read_to_string(data.path().join("erasures.jsonl")).unwrap();
        assert!(
            !erasures.contains("gone") && !erasures.contains("\"p2\""),
            "{erasures}"
        );
        assert!(erasures.contains("\"lines\":5"), "{erasures}");
        assert!(
            forget(
                data.path(),
                &Ids {
                    user_ids: vec![String::new()],
                    project_ids: vec![]
                }
            )
            .is_err()
        );
    }
}
