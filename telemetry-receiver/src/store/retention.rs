//! Retention: the day files of events, and of failure records (and the torn tails moved aside),
//! received longer ago than a limit of days, deleted; at the start of `serve` and then once a
//! day. Without a limit nothing is deleted.

use std::path::Path;

use super::files::Kind;
use crate::day::{now_ms, utc_day};

/// How many days of each kind of file are kept: files of days more than this many days before
/// today (UTC) are deleted; `None` keeps them forever.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Days of events kept.
    pub events_days: Option<u32>,
    /// Days of failure records kept (which hold events refused for breaking the rules, word for
    /// word: keep them shorter).
    pub failed_days: Option<u32>,
}

impl Retention {
    /// Whether anything is ever deleted.
    pub fn deletes(&self) -> bool {
        self.events_days.is_some() || self.failed_days.is_some()
    }
}

/// Deletes the files of `data` that `retention` no longer keeps, as of `now_ms`; returns each
/// one deleted (relative to `data`), and says so on standard error.
pub(crate) fn apply(data: &Path, retention: Retention, now_ms: u64) -> Vec<String> {
    let mut removed = Vec::new();
    for (kind, days) in [
        (Kind::Events, retention.events_days),
        (Kind::Failed, retention.failed_days),
    ] {
        let Some(days) = days else { continue };
        let oldest_kept = utc_day(now_ms.saturating_sub(u64::from(days) * 86_400_000));
        // A day file is `YYYY-MM-DD.jsonl`; a torn tail moved aside is
        // `<kind>-YYYY-MM-DD-<ms>.partial` in `quarantine/`.
        let folders = [
            (kind.folder().to_owned(), String::new()),
            ("quarantine".to_owned(), format!("{}-", kind.folder())),
        ];
        for (folder, prefix) in folders {
            let Ok(entries) = std::fs::read_dir(data.join(&folder)) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.file_name().into_string().ok())
                .collect();
            names.sort();
            for name in names {
                let Some(day) = name.strip_prefix(&prefix).and_then(|rest| rest.get(..10)) else {
                    continue;
                };
                if !is_day(day) || day >= oldest_kept.as_str() {
                    continue;
                }
                let path = format!("{folder}/{name}");
                match std::fs::remove_file(data.join(&path)) {
                    Ok(()) => {
                        eprintln!(
                            "retention: removed {path} (received more than {days} day(s) ago)"
                        );
                        removed.push(path);
                    }
                    Err(error) => eprintln!("retention: cannot remove {path}: {error}"),
                }
            }
        }
    }
    removed
}

/// Deletes what `retention` no longer keeps, now.
pub(crate) fn apply_now(data: &Path, retention: Retention) -> Vec<String> {
    apply(data, retention, now_ms())
}

/// Whether `text` is `YYYY-MM-DD`.
fn is_day(text: &str) -> bool {
    text.len() == 10
        && text.bytes().enumerate().all(|(index, byte)| match index {
            4 | 7 => byte == b'-',
            _ => byte.is_ascii_digit(),
        })
}

#[cfg(test)]
mod tests {
    use super::{Retention, apply};

    #[test]
    fn files_older_than_each_limit_go_and_the_rest_stay() {
        let data = tempfile::tempdir().unwrap();
        for folder in ["events", "failed", "quarantine"] {
            std::fs::create_dir(data.path().join(folder)).unwrap();
        }
        let day = 86_400_000;
        // 2026-12-04, noon.
        let now = 1_796_385_600_000;
        for back in 0..35 {
            let name = crate::day::utc_day(now - back * day);
            for folder in ["events", "failed"] {
                std::fs::write(data.path().join(format!("{folder}/{name}.jsonl")), "{}\n").unwrap();
            }
        }
        std::fs::write(data.path().join("events/notes.txt"), "mine").unwrap();
        std::fs::write(
            data.path().join("quarantine/failed-2026-11-01-1.partial"),
            "{",
        )
        .unwrap();
        std::fs::write(
            data.path().join("quarantine/events-2026-12-03-1.partial"),
            "{",
        )
        .unwrap();
        let retention = Retention {
            events_days: Some(30),
            failed_days: Some(7),
        };
        let removed = apply(data.path(), retention, now);
        let count = |folder: &str| std::fs::read_dir(data.path().join(folder)).unwrap().count();
        // Today and the 30 (7) days before it stay; the user's own file is never touched.
        assert_eq!(count("events"), 31 + 1);
        assert_eq!(count("failed"), 8);
        assert_eq!(count("quarantine"), 1);
        assert_eq!(removed.len(), 4 + 27 + 1);
        assert!(removed.contains(&"events/2026-10-31.jsonl".to_owned()));
        assert!(removed.contains(&"events/2026-11-03.jsonl".to_owned()));
        assert!(!removed.contains(&"events/2026-11-04.jsonl".to_owned()));
        assert!(removed.contains(&"failed/2026-11-26.jsonl".to_owned()));
        assert!(!removed.contains(&"failed/2026-11-27.jsonl".to_owned()));
        // Nothing is deleted without a limit.
        assert!(apply(data.path(), Retention::default(), now + 365 * day).is_empty());
    }
}
