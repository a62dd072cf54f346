//! The one function that touches the file system: writes generated files, or checks that they
//! are up to date. It only ever rewrites or removes files the generator wrote.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::path::Path;

use similar::TextDiff;

use crate::paths::GENERATED_MARKER;

/// What [`sync`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write missing and changed files, remove the generator's files it no longer writes; leave
    /// identical files untouched.
    Write,
    /// Write nothing; report every difference.
    Check,
}

/// A generated file that is not as the generator would write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file does not exist.
    Missing {
        /// Its path, relative to the output directory.
        path: String,
    },
    /// The file differs from what the generator produces.
    Stale {
        /// Its path, relative to the output directory.
        path: String,
        /// A unified diff from the file to the generated content.
        diff: String,
    },
    /// A file the generator wrote earlier and no longer writes.
    Stray {
        /// Its path, relative to the output directory.
        path: String,
    },
    /// A file the generator would write exists, and is not the generator's: it is left alone,
    /// and nothing is written.
    NotGenerated {
        /// Its path, relative to the output directory.
        path: String,
    },
}

impl Problem {
    /// The file's path, relative to the output directory.
    pub fn path(&self) -> &str {
        match self {
            Problem::Missing { path }
            | Problem::Stale { path, .. }
            | Problem::Stray { path }
            | Problem::NotGenerated { path } => path,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing { path } => write!(f, "{path}: missing"),
            Problem::Stale { path, diff } => write!(f, "{path}: out of date\n{diff}"),
            Problem::Stray { path } => write!(f, "{path}: generated earlier, no longer produced"),
            Problem::NotGenerated { path } => write!(
                f,
                "{path}: exists and was not written by `cargo xtask schema`, which needs the path; \
                 move the file, or choose another output directory"
            ),
        }
    }
}

/// What [`sync`] did or found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Files written (created or changed), in `Write` mode.
    pub written: Vec<String>,
    /// Files the generator wrote earlier and no longer writes, removed, in `Write` mode.
    pub removed: Vec<String>,
    /// Files already up to date.
    pub unchanged: usize,
    /// Differences found in `Check` mode; in `Write` mode, files in the way (nothing is then
    /// written).
    pub problems: Vec<Problem>,
}

/// Brings the files under `base` in line with `files` (paths relative to `base`,
/// `/`-separated), or, in `Check` mode, reports how they differ. `previous` lists the paths the
/// generator wrote before: those it no longer writes are stray. A file the generator did not
/// write is never changed: when one is in the way of a generated file (it exists, is not in
/// `previous`, does not carry [`GENERATED_MARKER`] and differs), nothing is written. Line ends
/// are normalised before comparing, so a checkout with CRLF line ends is not stale.
///
/// # Errors
///
/// When reading, writing or removing a file fails.
pub fn sync(
    base: &Path,
    files: &BTreeMap<String, String>,
    previous: &BTreeSet<String>,
    mode: Mode,
) -> io::Result<Report> {
    let mut report = Report::default();
    let mut existing_files = BTreeMap::new();
    for (path, content) in files {
        let existing = match std::fs::read_to_string(base.join(path)) {
            Ok(existing) => Some(existing.replace("\r\n", "\n")),
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(with_path(&error, path)),
        };
        if let Some(existing) = &existing
            && existing != content
            && !previous.contains(path)
            && !existing.contains(GENERATED_MARKER)
        {
            report
                .problems
                .push(Problem::NotGenerated { path: path.clone() });
        }
        existing_files.insert(path, existing);
    }
    if mode == Mode::Write && !report.problems.is_empty() {
        return Ok(report);
    }
    for (path, content) in files {
        let full = base.join(path);
        match (existing_files.remove(path).flatten(), mode) {
            (Some(existing), _) if existing == *content => report.unchanged += 1,
            (_, Mode::Check) if report.problems.iter().any(|p| p.path() == path) => {}
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
    for path in previous {
        if files.contains_key(path) || !base.join(path).is_file() {
            continue;
        }
        match mode {
            Mode::Check => report.problems.push(Problem::Stray { path: path.clone() }),
            Mode::Write => {
                std::fs::remove_file(base.join(path)).map_err(|error| with_path(&error, path))?;
                report.removed.push(path.clone());
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

fn with_path(error: &io::Error, path: &str) -> io::Error {
    io::Error::new(error.kind(), format!("{path}: {error}"))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::{Mode, Problem, sync};

    fn files(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries
            .iter()
            .map(|(path, content)| ((*path).to_owned(), (*content).to_owned()))
            .collect()
    }

    fn paths(paths: &[&str]) -> BTreeSet<String> {
        paths.iter().map(|path| (*path).to_owned()).collect()
    }

    #[test]
    fn check_reports_missing_stale_and_stray_files_and_writes_nothing() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("gen/sub")).unwrap();
        std::fs::write(root.path().join("gen/stale.json"), "old\n").unwrap();
        std::fs::write(root.path().join("gen/same.json"), "same\r\n").unwrap();
        std::fs::write(root.path().join("gen/sub/stray.json"), "?\n").unwrap();
        std::fs::write(root.path().join("gen/sub/theirs.json"), "!\n").unwrap();
        let wanted = files(&[
            ("gen/stale.json", "new\n"),
            ("gen/same.json", "same\n"),
            ("gen/missing.json", "x\n"),
            ("docs/outside.md", "y\n"),
        ]);
        let previous = paths(&["gen/stale.json", "gen/same.json", "gen/sub/stray.json"]);

        let report = sync(root.path(), &wanted, &previous, Mode::Check).unwrap();
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
            ],
            "`gen/sub/theirs.json` was never generated: not the generator's business"
        );
        assert!(!root.path().join("gen/missing.json").exists());
        assert_eq!(
            std::fs::read_to_string(root.path().join("gen/stale.json")).unwrap(),
            "old\n"
        );
    }

    #[test]
    fn write_fixes_everything_and_leaves_identical_files_and_other_files_untouched() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("gen")).unwrap();
        std::fs::write(root.path().join("gen/same.json"), "same\n").unwrap();
        std::fs::write(root.path().join("gen/stray.json"), "?\n").unwrap();
        std::fs::write(root.path().join("gen/hello.rs"), "fn main() {}\n").unwrap();
        let same = root.path().join("gen/same.json");
        let modified = std::fs::metadata(&same).unwrap().modified().unwrap();
        let wanted = files(&[("gen/same.json", "same\n"), ("gen/new/file.json", "x\n")]);
        let previous = paths(&["gen/same.json", "gen/stray.json", "gen/gone-already.json"]);

        let report = sync(root.path(), &wanted, &previous, Mode::Write).unwrap();
        assert_eq!(report.written, ["gen/new/file.json"]);
        assert_eq!(report.removed, ["gen/stray.json"]);
        assert_eq!(report.unchanged, 1);
        assert!(report.problems.is_empty());
        assert_eq!(
            std::fs::metadata(&same).unwrap().modified().unwrap(),
            modified
        );
        assert_eq!(
            std::fs::read_to_string(root.path().join("gen/hello.rs")).unwrap(),
            "fn main() {}\n"
        );

        let now_generated = paths(&["gen/same.json", "gen/new/file.json"]);
        let again = sync(root.path(), &wanted, &now_generated, Mode::Check).unwrap();
        assert!(again.problems.is_empty(), "{:?}", again.problems);
    }

    #[test]
    fn a_file_in_the_way_that_is_not_generated_stops_every_write() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("examples")).unwrap();
        std::fs::write(root.path().join("examples/Hello.v1.json"), "mine\n").unwrap();
        std::fs::write(
            root.path().join("docs.md"),
            "<!-- generated by `cargo xtask schema`, do not edit -->\nold\n",
        )
        .unwrap();
        let wanted = files(&[
            ("examples/Hello.v1.json", "{}\n"),
            ("docs.md", "new\n"),
            ("new.json", "x\n"),
        ]);
        for mode in [Mode::Write, Mode::Check] {
            let report = sync(root.path(), &wanted, &BTreeSet::new(), mode).unwrap();
            assert!(report.written.is_empty(), "{mode:?}");
            assert!(
                report.problems.contains(&Problem::NotGenerated {
                    path: "examples/Hello.v1.json".into()
                }),
                "{mode:?}: {:?}",
                report.problems
            );
            assert!(
                !report.problems.iter().any(
                    |problem| matches!(problem, Problem::NotGenerated { path } if path == "docs.md")
                ),
                "a file carrying the marker is the generator's"
            );
        }
        assert_eq!(
            std::fs::read_to_string(root.path().join("examples/Hello.v1.json")).unwrap(),
            "mine\n"
        );
        assert!(!root.path().join("new.json").exists());
        // The same content is no conflict.
        std::fs::write(root.path().join("examples/Hello.v1.json"), "{}\n").unwrap();
        let report = sync(root.path(), &wanted, &BTreeSet::new(), Mode::Write).unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.written, ["docs.md", "new.json"]);
    }
}
