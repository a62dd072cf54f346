//! The installation's pseudonymous ID: a random UUID made the first time a host program that
//! asks for it ([`Settings::installation_id`](crate::Settings::installation_id)) runs, kept in
//! `installation-id` in the telemetry configuration directory, and made anew after a reset.

use std::path::Path;

use super::config_dir;
use crate::model::context::Context;

/// The file's name in the configuration directory.
pub(crate) const FILE_NAME: &str = "installation-id";

/// The ID kept under `dir`, if there is one.
///
/// # Errors
///
/// Why the file is not an ID, when it cannot be read or is something else.
pub(crate) fn read(dir: &Path) -> Result<Option<String>, String> {
    match config_dir::read(dir, FILE_NAME) {
        Ok(None) => Ok(None),
        Ok(Some(text)) => checked(dir, &text).map(Some),
        Err(error) => Err(format!(
            "the installation ID {} cannot be read ({error})",
            dir.join(FILE_NAME).display()
        )),
    }
}

/// The ID kept under `dir`, made now if there is none; concurrent first runs agree on one.
///
/// # Errors
///
/// Why there is none to send: it can be neither read nor stored (a throw-away ID would count
/// every run as a new installation).
pub(crate) fn get_or_create(dir: &Path) -> Result<String, String> {
    let candidate = format!("{}\n", crate::random::uuid_v4());
    match config_dir::create_once(dir, FILE_NAME, &candidate) {
        Ok(text) => checked(dir, &text),
        Err(error) => Err(format!(
            "the installation ID cannot be stored in {} ({error}), so none is sent",
            dir.join(FILE_NAME).display()
        )),
    }
}

/// `text` as an ID: a lowercase UUID v4, as `executionID`s are.
fn checked(dir: &Path, text: &str) -> Result<String, String> {
    let id = text.trim();
    if Context::is_execution_id(id) {
        Ok(id.to_owned())
    } else {
        Err(format!(
            "the installation ID {} is not a UUID, so none is sent",
            dir.join(FILE_NAME).display()
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{FILE_NAME, get_or_create, read};

    #[test]
    fn made_once_kept_and_checked() {
        let dir =
            std::env::temp_dir().join(format!("telemetry-installation-{}", crate::random::token()));
        assert_eq!(read(&dir), Ok(None));
        let id = get_or_create(&dir).unwrap();
        assert_eq!(get_or_create(&dir).unwrap(), id);
        assert_eq!(read(&dir), Ok(Some(id)));
        std::fs::write(dir.join(FILE_NAME), "alice@example.com").unwrap();
        assert!(read(&dir).unwrap_err().contains("not a UUID"));
        assert!(get_or_create(&dir).is_err());
    }
}
