//! The one function that touches the file system: writes generated files, or checks that they
//! are up to date.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::Path;

use similar::TextDiff;

/// What [`sync`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write missing and changed files, remove stray ones; leave identical files untouched.
    Write,
    /// Write nothing; report every difference.
    Check,
}

/// A generated file that is not as the generator would write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file does not exist.
    Missing {
        /// Its path, relative to the root.
        path: String,
    },
    /// The file differs from what the generator produces.
    Stale {
        /// Its path, relative to the root.
        path: String,
        /// A unified diff from the file to the generated content.
        diff: String,
    },
    /// A file in a generated directory that the generator does not produce.
    Stray {
        /// Its path, relative to the root.
        path: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing { path } => write!(f, "{path}: missing"),
            Problem::Stale { path, diff } => write!(f, "{path}: out of date\n{diff}"),
            Problem::Stray { path } => write!(f, "{path}: not produced by the generator"),
        }
    }
}

/// What [`sync`] did or found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Files written (created or changed), in `Write` mode.
    pub written: Vec<String>,
    /// Stray files removed, in `Write` mode.
    pub removed: Vec<String>,
    /// Files already up to date.
    pub unchanged: usize,
    /// Differences found, in `Check` mode.
    pub problems: Vec<Problem>,
}

/// Brings the files under `root` in line with `files` (paths relative to `root`, `/`-separated),
/// or, in `Check` mode, reports how they differ. Every file in `generated_dirs` that `files` does
/// not list is stray. Line ends are normalised before comparing, so a checkout with CRLF line
/// ends is not stale.
///
/// # Errors
///
/// When reading, writing or removing a file fails.
pub fn sync(
    root: &Path,
    files: &BTreeMap<String, String>,
    generated_dirs: &[&str],
    mode: Mode,
) -> io::Result<Report> {
    let mut report = Report::default();
    for (path, content) in files {
        let full = root.join(path);
        let existing = match std::fs::read_to_string(&full) {
            Ok(existing) => Some(existing.replace("\r\n", "\n")),
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(with_path(&error, path)),
        };
        match (existing, mode) {
            (Some(existing), _) if existing == *content => report.unchanged += 1,
            (None, Mode::Check) => report
                .problems
                .push(Problem::Missing { path: path.clone() }),
            (Some(existing), Mode::Check) => report.problems.push(Problem::Stale {
                path: path.clone(),
                diff: unified_diff(path, &existing, content),
            }),
            (_, Mode::Write) => {
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent).map_err(|error| with_path(&error, path))?;
                }
                std::fs::write(&full, content).map_err(|error| with_path(&error, path))?;
                report.written.push(path.clone());
            }
        }
    }
    for dir in generated_dirs {
        for path in files_under(root, dir)? {
            if files.contains_key(&path) {
                continue;
            }
            match mode {
                Mode::Check => report.problems.push(Problem::Stray { path }),
                Mode::Write => {
                    std::fs::remove_file(root.join(&path))
                        .map_err(|error| with_path(&error, &path))?;
                    report.removed.push(path);
                }
            }
        }
    }
    Ok(report)
}

/// A unified diff from `old` (the file) to `new` (what the generator produces).
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// Every file under `root/dir`, recursively, as `/`-separated paths relative to `root`, sorted.
fn files_under(root: &Path, dir: &str) -> io::Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(relative) = pending.pop() {
        let entries = match std::fs::read_dir(root.join(&relative)) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(with_path(&error, &relative)),
        };
        for entry in entries {
            let entry = entry.map_err(|error| with_path(&error, &relative))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{relative}/{name}");
            if entry
                .file_type()
                .map_err(|error| with_path(&error, &path))?
                .is_dir()
            {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn with_path(error: &io::Error, path: &str) -> io::Error {
    io::Error::new(error.kind(), format!("{path}: {error}"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{Mode, Problem, sync};

    fn files(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries
            .iter()
            .map(|(path, content)| ((*path).to_owned(), (*content).to_owned()))
            .collect()
    }

    #[test]
    fn check_reports_missing_stale_and_stray_files_and_writes_nothing() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("gen/sub")).unwrap();
        std::fs::write(root.path().join("gen/stale.json"), "old\n").unwrap();
        std::fs::write(root.path().join("gen/same.json"), "same\r\n").unwrap();
        std::fs::write(root.path().join("gen/sub/stray.json"), "?\n").unwrap();
        let wanted = files(&[
            ("gen/stale.json", "new\n"),
            ("gen/same.json", "same\n"),
            ("gen/missing.json", "x\n"),
            ("docs/outside.md", "y\n"),
        ]);

        let report = sync(root.path(), &wanted, &["gen"], Mode::Check).unwrap();
        assert_eq!(report.unchanged, 1);
        assert!(report.written.is_empty());
        assert_eq!(
            report.problems,
            [
                Problem::Missing {
                    path: "docs/outside.md".into()
                },
                Problem::Missing {
                    path: "gen/missing.json".into()
                },
                Problem::Stale {
                    path: "gen/stale.json".into(),
                    diff: "--- a/gen/stale.json\n+++ b/gen/stale.json\n@@ -1 +1 @@\n-old\n+new\n"
                        .into(),
                },
                Problem::Stray {
                    path: "gen/sub/stray.json".into()
                },
            ]
        );
        assert!(!root.path().join("gen/missing.json").exists());
        assert_eq!(
            std::fs::read_to_string(root.path().join("gen/stale.json")).unwrap(),
            "old\n"
        );
    }

    #[test]
    fn write_fixes_everything_and_leaves_identical_files_untouched() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("gen")).unwrap();
        std::fs::write(root.path().join("gen/same.json"), "same\n").unwrap();
        std::fs::write(root.path().join("gen/stray.json"), "?\n").unwrap();
        let same = root.path().join("gen/same.json");
        let modified = std::fs::metadata(&same).unwrap().modified().unwrap();
        let wanted = files(&[("gen/same.json", "same\n"), ("gen/new/file.json", "x\n")]);

        let report = sync(root.path(), &wanted, &["gen"], Mode::Write).unwrap();
        assert_eq!(report.written, ["gen/new/file.json"]);
        assert_eq!(report.removed, ["gen/stray.json"]);
        assert_eq!(report.unchanged, 1);
        assert_eq!(
            std::fs::metadata(&same).unwrap().modified().unwrap(),
            modified
        );
        assert_eq!(
            std::fs::read_to_string(root.path().join("gen/new/file.json")).unwrap(),
            "x\n"
        );

        let again = sync(root.path(), &wanted, &["gen"], Mode::Check).unwrap();
        assert!(again.problems.is_empty(), "{:?}", again.problems);
    }
}
