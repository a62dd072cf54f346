//! Running the generator for a [`Config`]: the registered events' versions, checked against the
//! configured policy, merged with what is published, every file rendered, and written or checked
//! under the workspace root; and finding that root.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use crate::config::Config;
use crate::error::Error;
use crate::files;
use crate::model::standard::standardise;
use crate::model::version::EventVersion;
use crate::policy::{Rule, Violation};
use crate::publish;
use crate::sync::{self, Mode, Report};

/// How many versions' examples one stream validator checks (see [`EventVersion::registered`]).
#[cfg(feature = "registry")]
const VERSIONS_PER_VALIDATOR: usize = 32;

impl EventVersion {
    /// Every registered event's versions, sorted by `eventType` then `schemaVersion`.
    ///
    /// # Errors
    ///
    /// When more than one type defines an event type, or [`from_registration`] fails for one.
    ///
    /// [`from_registration`]: Self::from_registration
    #[cfg(feature = "registry")]
    pub fn registered(config: &Config) -> Result<Vec<Self>, Error> {
        let versions: Vec<Self> = telemetry_core::registry::events()?
            .into_iter()
            .map(|event| Self::unchecked(event, config))
            .collect::<Result<_, _>>()?;
        // One validator for many: a payload is valid for a stream schema of versions including
        // its own exactly when it is valid for its own event's schema (each branch fixes
        // `eventType` and `schemaVersion`), and compiling one stream schema costs far less than
        // a validator per event. Not one for all: a stream schema tries its branches in turn,
        // so checking every payload against all of them would grow with the square of the
        // events. A version whose examples fail is checked again alone, for a precise message.
        for chunk in versions.chunks(VERSIONS_PER_VALIDATOR) {
            let stream =
                jsonschema::draft202012::new(&crate::render::stream::stream_schema(chunk, config))
                    .ok();
            for version in chunk {
                version.check_examples(&mut |payload| {
                    stream.as_ref().map(|stream| stream.is_valid(payload))
                })?;
            }
        }
        Ok(versions)
    }
}

impl Config {
    /// Every file to generate for the versions the code defines (`code`), given what is
    /// published under `base` (the output directory), and the paths earlier runs wrote there.
    ///
    /// # Errors
    ///
    /// When an event breaks the [policy](Self::forbid), the published files cannot be read, or
    /// the code breaks a rule of published versions.
    pub fn files(
        &self,
        base: &Path,
        code: Vec<EventVersion>,
    ) -> Result<(BTreeMap<String, String>, BTreeSet<String>), Error> {
        let violations = violations(self.policy(), &code);
        if !violations.is_empty() {
            return Err(Error::Forbidden(violations));
        }
        let published = publish::read(base).map_err(Error::Read)?;
        let standardise = |schema: &mut serde_json::Value, event_type: &str, version: u32| {
            standardise(schema, &self.event_schema_id(event_type, version));
        };
        let versions = publish::plan(code, &published, &standardise, self.widening_reason())
            .map_err(Error::Refused)?;
        Ok((
            files::generate(&versions, self),
            published.generated_paths(),
        ))
    }

    /// Generates every file for `code` under the workspace `root` and writes them, or in
    /// [`Check`](Mode::Check) mode reports how they differ. Paths in the report are relative
    /// to `root`.
    ///
    /// # Errors
    ///
    /// As [`files`](Self::files), and when the output directory is not a relative path inside
    /// the workspace, or a file cannot be read or written.
    pub fn sync(&self, root: &Path, code: Vec<EventVersion>, mode: Mode) -> Result<Report, Error> {
        self.checked_base_uri()?;
        let base = root.join(self.checked_out_dir()?);
        let (files, previous) = self.files(&base, code)?;
        let mut report = sync::sync(&base, &files, &previous, mode).map_err(Error::Io)?;
        self.relative_to_root(&mut report);
        Ok(report)
    }

    /// [`sync`](Self::sync) for every event the program links: what `cargo xtask schema` does.
    ///
    /// # Errors
    ///
    /// As [`sync`](Self::sync), and when the registered events cannot be generated (an event
    /// type defined twice, an invalid or changing example, colliding definition names).
    #[cfg(feature = "registry")]
    pub fn run(&self, root: &Path, mode: Mode) -> Result<Report, Error> {
        self.sync(root, EventVersion::registered(self)?, mode)
    }

    /// Fails (panics, as a test assertion does) when a generated file of the workspace this is
    /// called from is missing, out of date or stray: the one line of a `#[test]` that keeps
    /// them in step with the code.
    ///
    /// ```no_run
    /// #[test]
    /// fn telemetry_files_are_up_to_date() {
    ///     telemetry_schema::Config::new("acme", "ACME").assert_up_to_date();
    /// }
    /// ```
    ///
    /// # Panics
    ///
    /// When the files are not up to date, or cannot be generated or read; the message says
    /// what differs and which command to run.
    #[cfg(feature = "registry")]
    #[track_caller]
    pub fn assert_up_to_date(&self) {
        let root = match workspace_root() {
            Ok(root) => root,
            Err(error) => panic!("cannot find the workspace root: {error}"),
        };
        match self.run(&root, Mode::Check) {
            Ok(report) if report.problems.is_empty() => {}
            Ok(report) => {
                let problems: Vec<String> =
                    report.problems.iter().map(ToString::to_string).collect();
                panic!("{}\n{}", problems.join("\n"), report.summary(Mode::Check));
            }
            Err(error) => panic!("cargo xtask schema would fail: {error}"),
        }
    }

    /// The output directory, checked: relative, and never out of the workspace.
    fn checked_out_dir(&self) -> Result<&Path, Error> {
        let inside = self
            .out_dir_path()
            .components()
            .all(|component| matches!(component, Component::Normal(_) | Component::CurDir));
        if inside {
            Ok(self.out_dir_path())
        } else {
            Err(Error::Config(format!(
                "the output directory `{}` must be a folder of the workspace: a relative path \
                 without `..`",
                self.out_dir_path().display()
            )))
        }
    }

    /// The base of the schemas' `$id`s, checked: an absolute URI (a scheme, then more) without
    /// a query, a fragment or white space, so that every schema's `$id` and every reference
    /// between files is an absolute URI any consumer resolves.
    fn checked_base_uri(&self) -> Result<(), Error> {
        let base = self.schema_id("");
        let scheme = base.split_once(':').map_or("", |(scheme, _)| scheme);
        let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        let rest_ok = base.len() > scheme.len() + 1
            && !base.contains(['?', '#'])
            && !base.chars().any(char::is_whitespace);
        if scheme_ok && rest_ok {
            Ok(())
        } else {
            Err(Error::Config(format!(
                "the schemas' base URI `{base}` must be an absolute URI (`https://...` or \
                 `urn:...`) without a query, a fragment or white space"
            )))
        }
    }

    /// Rewrites the report's paths from the output directory's to the workspace root's.
    fn relative_to_root(&self, report: &mut Report) {
        let prefix = self.out_dir_path().to_string_lossy().replace('\\', "/");
        let prefix = prefix.trim_matches('/');
        if prefix.is_empty() || prefix == "." {
            return;
        }
        let join = |path: &mut String| *path = format!("{prefix}/{path}");
        report.written.iter_mut().for_each(join);
        report.removed.iter_mut().for_each(join);
        for problem in &mut report.problems {
            match problem {
                sync::Problem::Missing { path }
                | sync::Problem::Stray { path }
                | sync::Problem::NotGenerated { path } => join(path),
                sync::Problem::Stale { path, diff } => {
                    *diff = diff
                        .replacen(
                            &format!("--- a/{path}"),
                            &format!("--- a/{prefix}/{path}"),
                            1,
                        )
                        .replacen(
                            &format!("+++ b/{path}"),
                            &format!("+++ b/{prefix}/{path}"),
                            1,
                        );
                    join(path);
                }
            }
        }
    }
}

/// Every field of the versions the code defines that breaks one of `rules`. Only `eventData`'s
/// own keys are checked, since a classification covers its subtree; published versions no type
/// defines anymore are history, not code, and are left alone.
fn violations(rules: &[Rule], versions: &[EventVersion]) -> Vec<Violation> {
    let mut violations = Vec::new();
    for version in versions {
        let Some(rust_path) = &version.rust_path else {
            continue;
        };
        for (path, classification) in &version.classifications {
            let Some(key) = path.strip_prefix("eventData.") else {
                continue;
            };
            if key.contains(['.', '[']) {
                continue;
            }
            let broken = rules.iter().find(|rule| {
                rule.class == classification.class && !(rule.unless_hashed && classification.hashed)
            });
            if let Some(rule) = broken {
                violations.push(Violation {
                    event: format!("{} v{}", version.event_type, version.version),
                    rust_path: rust_path.clone(),
                    field: path.clone(),
                    rule: *rule,
                });
            }
        }
    }
    violations
}

/// The root of the Cargo workspace the program runs in: the nearest folder, from the package
/// cargo runs (`CARGO_MANIFEST_DIR`, which `cargo run` and `cargo test` set) or else the current
/// directory upwards, whose `Cargo.toml` declares `[workspace]`; without one, the nearest folder
/// with a `Cargo.toml`.
///
/// # Errors
///
/// When neither exists, or the current directory cannot be read.
pub fn workspace_root() -> std::io::Result<PathBuf> {
    let start = match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::current_dir()?,
    };
    workspace_root_from(&start).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no Cargo.toml in {} or above", start.display()),
        )
    })
}

/// [`workspace_root`], starting from `start`.
pub(crate) fn workspace_root_from(start: &Path) -> Option<PathBuf> {
    let mut package = None;
    for dir in start.ancestors() {
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        if manifest
            .lines()
            .any(|line| line.trim_start().starts_with("[workspace"))
        {
            return Some(dir.to_owned());
        }
        package.get_or_insert_with(|| dir.to_owned());
    }
    package
}

#[cfg(test)]
mod tests {
    use super::{Config, workspace_root_from};
    use crate::Error;

    #[test]
    fn the_workspace_root_is_the_nearest_manifest_declaring_a_workspace() {
        let root = tempfile::tempdir().unwrap();
        let member = root.path().join("crates/member/src");
        std::fs::create_dir_all(&member).unwrap();
        std::fs::write(
            root.path().join("Cargo.toml"),
            "[workspace]\nmembers = [\"crates/*\"]\n",
        )
        .unwrap();
        std::fs::write(
            root.path().join("crates/member/Cargo.toml"),
            "[package]\nname = \"member\"\n",
        )
        .unwrap();
        assert_eq!(workspace_root_from(&member).as_deref(), Some(root.path()));
        assert_eq!(
            workspace_root_from(&root.path().join("crates")).as_deref(),
            Some(root.path())
        );

        let lone = tempfile::tempdir().unwrap();
        std::fs::write(
            lone.path().join("Cargo.toml"),
            "[package]\nname = \"lone\"\n",
        )
        .unwrap();
        std::fs::create_dir_all(lone.path().join("src")).unwrap();
        assert_eq!(
            workspace_root_from(&lone.path().join("src")).as_deref(),
            Some(lone.path())
        );
    }

    #[test]
    fn the_output_directory_stays_inside_the_workspace() {
        let root = tempfile::tempdir().unwrap();
        for dir in ["../elsewhere", "/tmp/absolute", "a/../../b"] {
            let error = Config::new("acme", "ACME")
                .out_dir(dir)
                .sync(root.path(), Vec::new(), crate::sync::Mode::Check)
                .unwrap_err();
            assert!(matches!(error, Error::Config(_)), "{dir}: {error}");
        }
        let report = Config::new("acme", "ACME")
            .out_dir("telemetry")
            .sync(root.path(), Vec::new(), crate::sync::Mode::Write)
            .unwrap();
        assert!(
            report
                .written
                .contains(&"telemetry/docs/telemetry.md".to_owned()),
            "{:?}",
            report.written
        );
        assert!(root.path().join("telemetry/docs/telemetry.md").is_file());
    }
}
