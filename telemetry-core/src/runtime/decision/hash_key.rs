//! The installation's secret for [`Hashed`](crate::Hashed) values: read from `hash-key` in the
//! telemetry configuration directory, or made and stored there the first time an event has
//! something to hash; a throw-away secret for the run when it can be neither read nor stored.

use std::path::Path;

use super::config_dir;
use crate::model::hashed::HashKey;

/// The secret's file name in the configuration directory.
pub(crate) const FILE_NAME: &str = "hash-key";

/// The installation's secret under `dir`, created if there is none; when `dir` is unknown or the
/// secret cannot be read or stored, a fresh throw-away one and why, for the diagnostics. A file
/// that is not a key is left as it is: it may be something the user keeps there.
pub(crate) fn load_or_create(dir: Option<&Path>) -> (HashKey, Option<String>) {
    let Some(dir) = dir else {
        return (
            HashKey::random(),
            Some(
                "no configuration directory is known (no home directory), so hashed fields use \
                 a key for this run only"
                    .into(),
            ),
        );
    };
    let stored =
        config_dir::create_once(dir, FILE_NAME, &format!("{}\n", HashKey::random().to_hex()))
            .map_err(|error| error.to_string())
            .and_then(|text| {
                HashKey::from_hex(&text).ok_or_else(|| "not 64 hexadecimal digits".into())
            });
    match stored {
        Ok(key) => (key, None),
        Err(error) => (
            HashKey::random(),
            Some(format!(
                "the hash key {} cannot be used ({error}), so hashed fields use a key for this \
                 run only",
                dir.join(FILE_NAME).display()
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::path::PathBuf;

    use super::{FILE_NAME, load_or_create};

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "telemetry-hash-key-{name}-{}",
            crate::random::token()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_key_is_made_once_and_kept() {
        let dir = scratch("once").join("acme").join("telemetry");
        let (first, note) = load_or_create(Some(&dir));
        assert_eq!(note, None);
        let (second, note) = load_or_create(Some(&dir));
        assert_eq!(note, None);
        assert_eq!(first, second);
        let stored = std::fs::read_to_string(dir.join(FILE_NAME)).unwrap();
        assert_eq!(stored, format!("{}\n", first.to_hex()));
    }

    #[test]
    fn a_file_that_is_not_a_key_is_left_alone_and_a_throw_away_key_used() {
        let dir = scratch("corrupt");
        std::fs::write(dir.join(FILE_NAME), "my notes\n").unwrap();
        let (first, note) = load_or_create(Some(&dir));
        assert!(note.unwrap().contains("not 64 hexadecimal digits"));
        let (second, _) = load_or_create(Some(&dir));
        assert_ne!(first, second);
        assert_eq!(
            std::fs::read_to_string(dir.join(FILE_NAME)).unwrap(),
            "my notes\n"
        );
    }

    #[test]
    fn a_directory_that_cannot_be_made_gives_a_throw_away_key() {
        let dir = scratch("blocked");
        std::fs::write(dir.join("file"), "").unwrap();
        let (first, note) = load_or_create(Some(&dir.join("file").join("telemetry")));
        assert!(note.unwrap().contains("for this run only"));
        let (second, _) = load_or_create(Some(&dir.join("file").join("telemetry")));
        assert_ne!(first, second);
        let (_, note) = load_or_create(None);
        assert!(note.unwrap().contains("no configuration directory"));
    }
}
