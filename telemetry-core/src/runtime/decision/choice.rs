//! The user's remembered choice, `enable` or `disable`, kept in the file `choice` of the
//! telemetry configuration directory. A file that cannot be read or understood is no choice,
//! never an error for the host program, and is never overwritten: a new choice moves it aside.

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
    /// The file's text for the choice.
    fn text(self) -> &'static str {
        match self {
            Choice::Enabled => "enabled\n",
            Choice::Disabled => "disabled\n",
        }
    }
}

/// The choice remembered under `dir`: `Ok(None)` when there is none, `Err` with why the file
/// is no choice when it cannot be read or understood.
pub(crate) fn read(dir: &Path) -> Result<Option<Choice>, String> {
    let path = dir.join(FILE_NAME);
    match config_dir::read(dir, FILE_NAME) {
        Ok(None) => Ok(None),
        Ok(Some(text)) => match text.trim() {
            "enabled" => Ok(Some(Choice::Enabled)),
            "disabled" => Ok(Some(Choice::Disabled)),
            _ => Err(format!(
                "the remembered choice {} says neither `enabled` nor `disabled`, and counts as no \
                 choice",
                path.display()
            )),
        },
        Err(error) => Err(format!(
            "the remembered choice {} cannot be read ({error}), and counts as no choice",
            path.display()
        )),
    }
}

/// Remembers `choice` under `dir`. A file there that is no choice is first moved aside, to the
/// path returned, rather than overwritten.
pub(crate) fn write(dir: &Path, choice: Choice) -> io::Result<Option<PathBuf>> {
    let moved = if read(dir).is_err() {
        let aside = dir.join(format!("{FILE_NAME}.unreadable-{}", crate::random::token()));
        std::fs::rename(dir.join(FILE_NAME), &aside)?;
        Some(aside)
    } else {
        None
    };
    config_dir::replace(dir, FILE_NAME, choice.text())?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{Choice, FILE_NAME, read, write};

    #[test]
    fn a_choice_is_remembered_and_a_corrupt_file_moved_aside() {
        let dir = std::env::temp_dir().join(format!("telemetry-choice-{}", crate::random::token()));
        assert_eq!(read(&dir), Ok(None));
        assert_eq!(write(&dir, Choice::Disabled).unwrap(), None);
        assert_eq!(read(&dir), Ok(Some(Choice::Disabled)));
        assert_eq!(write(&dir, Choice::Enabled).unwrap(), None);
        assert_eq!(read(&dir), Ok(Some(Choice::Enabled)));

        std::fs::write(dir.join(FILE_NAME), "maybe\n").unwrap();
        assert!(read(&dir).unwrap_err().contains("counts as no choice"));
        let aside = write(&dir, Choice::Disabled).unwrap().unwrap();
        assert_eq!(std::fs::read_to_string(aside).unwrap(), "maybe\n");
        assert_eq!(read(&dir), Ok(Some(Choice::Disabled)));
    }
}
