//! The user's remembered choice, `enable` or `disable`, kept in the file `choice` of the
//! telemetry configuration directory. Only `enable`'s own record turns telemetry on: a file
//! that cannot be read, is not trusted, or says anything else is a doubt, and doubt counts as
//! an opt-out. Such a file is never an error for the host program, and never written through:
//! a new choice keeps it aside.

use std::io;
use std::path::{Path, PathBuf};

use super::config_dir;

/// The file's name in the configuration directory.
pub(crate) const FILE_NAME: &str = "choice";

/// A remembered choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    /// `enable`: on, unless an opt-out says otherwise.
    Enabled,
    /// `disable`: off, whatever else says on.
    Disabled,
}

impl Choice {
    /// The file's text for the choice: what `enable` and `disable` write, and all that is read
    /// as a choice (whitespace around it aside).
    fn text(self) -> &'static str {
        match self {
            Choice::Enabled => "enabled\n",
            Choice::Disabled => "disabled\n",
        }
    }

    /// The choice `text` records, if it is exactly one's record, whitespace around it aside.
    fn parse(text: &str) -> Option<Self> {
        [Choice::Enabled, Choice::Disabled]
            .into_iter()
            .find(|choice| text.trim() == choice.text().trim())
    }
}

/// The choice remembered under `dir`: `Ok(None)` when there is none, `Err` with why the file is
/// a doubt (which counts as an opt-out) when it is not exactly a choice's record.
pub(crate) fn read(dir: &Path) -> Result<Option<Choice>, String> {
    match config_dir::read(dir, FILE_NAME) {
        Ok(None) => Ok(None),
        Ok(Some(text)) => Choice::parse(&text).map(Some).ok_or_else(|| {
            format!(
                "it says neither `{}` nor `{}`",
                Choice::Enabled.text().trim(),
                Choice::Disabled.text().trim()
            )
        }),
        Err(error) => Err(error.to_string()),
    }
}

/// Remembers `choice` under `dir`, which must be trusted. A file there that is no choice is
/// kept aside, at the path returned, rather than written through.
pub(crate) fn write(dir: &Path, choice: Choice) -> io::Result<Option<PathBuf>> {
    config_dir::check_trusted(dir)?;
    let aside = match read(dir) {
        Ok(_) => None,
        Err(_) => match config_dir::keep_aside(dir, FILE_NAME) {
            Ok(aside) => Some(aside),
            // Replaced or removed meanwhile: nothing to keep.
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(error),
        },
    };
    config_dir::replace(dir, FILE_NAME, choice.text())?;
    // Another `enable` or `disable` may have replaced the unreadable file between the read and
    // the link: what was kept is then a valid choice that this one supersedes, not a file to
    // keep aside.
    if let Some(path) = &aside {
        let kept = config_dir::read(dir, &file_name(path)).ok().flatten();
        if kept.as_deref().and_then(Choice::parse).is_some() {
            let _ = std::fs::remove_file(path);
            return Ok(None);
        }
    }
    Ok(aside)
}

/// The last component of `path`, which this module made.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{Choice, FILE_NAME, read, write};

    #[test]
    fn a_choice_is_remembered_and_a_corrupt_file_kept_aside() {
        let dir = std::env::temp_dir().join(format!("telemetry-choice-{}", crate::random::token()));
        assert_eq!(read(&dir), Ok(None));
        assert_eq!(write(&dir, Choice::Disabled).unwrap(), None);
        assert_eq!(read(&dir), Ok(Some(Choice::Disabled)));
        assert_eq!(write(&dir, Choice::Enabled).unwrap(), None);
        assert_eq!(read(&dir), Ok(Some(Choice::Enabled)));

        std::fs::write(dir.join(FILE_NAME), "maybe\n").unwrap();
        assert!(
            read(&dir)
                .unwrap_err()
                .contains("neither `enabled` nor `disabled`")
        );
        let aside = write(&dir, Choice::Disabled).unwrap().unwrap();
        assert_eq!(std::fs::read_to_string(aside).unwrap(), "maybe\n");
        assert_eq!(read(&dir), Ok(Some(Choice::Disabled)));
    }

    #[test]
    fn only_a_choices_own_record_is_one() {
        let dir = tempfile::tempdir().unwrap();
        for (text, choice) in [
            ("enabled", Some(Choice::Enabled)),
            ("  enabled\r\n\t", Some(Choice::Enabled)),
            ("disabled\n", Some(Choice::Disabled)),
            ("disable", None),
            ("DISABLED", None),
            ("Enabled", None),
            ("off", None),
            ("0", None),
            ("no", None),
            ("\u{feff}disabled\n", None),
            ("enabled\0", None),
            ("enabled\nenabled\n", None),
            ("", None),
        ] {
            std::fs::write(dir.path().join(FILE_NAME), text).unwrap();
            assert_eq!(read(dir.path()).ok().flatten(), choice, "{text:?}");
            assert_eq!(read(dir.path()).is_err(), choice.is_none(), "{text:?}");
        }
        std::fs::write(dir.path().join(FILE_NAME), b"\xffenabled").unwrap();
        assert!(read(dir.path()).unwrap_err().contains("UTF-8"));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_a_doubt_and_kept_aside_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "enabled\n").unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.path().join(FILE_NAME)).unwrap();
        assert!(read(dir.path()).unwrap_err().contains("symbolic link"));
        let aside = write(dir.path(), Choice::Disabled).unwrap().unwrap();
        assert!(std::fs::symlink_metadata(aside).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "enabled\n");
        assert_eq!(read(dir.path()), Ok(Some(Choice::Disabled)));
        // A dangling one too.
        std::fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
        std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join(FILE_NAME)).unwrap();
        assert!(read(dir.path()).unwrap_err().contains("symbolic link"));
        assert!(write(dir.path(), Choice::Enabled).unwrap().is_some());
        assert!(!dir.path().join("nowhere").exists());
    }

    #[test]
    fn racing_writers_and_a_corrupt_file_never_keep_a_valid_choice_aside() {
        let dir = tempfile::tempdir().unwrap();
        for round in 0..100 {
            let threads: Vec<_> = (0..3)
                .map(|writer| {
                    let dir = dir.path().to_owned();
                    std::thread::spawn(move || match writer {
                        0 => drop(write(&dir, Choice::Enabled).unwrap()),
                        1 => drop(write(&dir, Choice::Disabled).unwrap()),
                        _ => std::fs::write(dir.join(FILE_NAME), format!("corrupt {round}\n"))
                            .unwrap(),
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
        }
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() != FILE_NAME {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.starts_with("corrupt"),
                    "{} holds {text:?}",
                    path.display()
                );
            }
        }
    }
}
