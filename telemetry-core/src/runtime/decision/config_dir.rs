//! The telemetry configuration directory and its small files: where it is, and the three ways
//! its files are written, each safe when several runs of the program start at once.
//!
//! - [`create_once`]: a value made once and then kept (the installation ID, the hash key): each
//!   run writes its candidate to a file of its own and links it into place, which only one
//!   link can do; the others read the winner's.
//! - [`claim`]: a marker that exactly one run creates (the first-run notice was shown).
//! - [`replace`]: a file the user's commands rewrite whole (the remembered choice), through a
//!   temporary file renamed over it, so that a reader sees the old file or the new one.
//!
//! Every file is created readable by its owner only, in a directory that is too.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::runtime::fs::read_small;

/// The most read of any of these files.
const MAX_BYTES: u64 = 4096;

/// The telemetry configuration directory: `configured` (the
/// [`CONFIG_DIR`](crate::environment::CONFIG_DIR) variable), else `<tool>/telemetry` in the
/// user's configuration directory as the platform defines it (`$XDG_CONFIG_HOME` or
/// `~/.config`, `~/Library/Application Support`, `%APPDATA%`). `None` without a home
/// directory, or for a tool name that is not a plain file name.
///
/// The platform's directory may take a look-up of the user's account: call it off the host
/// program's thread.
pub(crate) fn locate(configured: Option<PathBuf>, tool_name: &str) -> Option<PathBuf> {
    if configured.is_some() {
        return configured;
    }
    let plain = !tool_name.is_empty()
        && !matches!(tool_name, "." | "..")
        && !tool_name.contains(['/', '\\', ':']);
    if !plain {
        return None;
    }
    Some(dirs::config_dir()?.join(tool_name).join("telemetry"))
}

/// The text of `dir/name`; `None` when there is no such file. A file that is not a small
/// regular UTF-8 file is an error.
pub(crate) fn read(dir: &Path, name: &str) -> io::Result<Option<String>> {
    match read_small(&dir.join(name), MAX_BYTES) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text")),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// The text of `dir/name`, which is `contents` when this call creates it; when another run
/// created it first, or it was there already, that run's text.
pub(crate) fn create_once(dir: &Path, name: &str, contents: &str) -> io::Result<String> {
    if let Some(existing) = read(dir, name)? {
        return Ok(existing);
    }
    let candidate = write_candidate(dir, name, contents)?;
    let linked = fs::hard_link(&candidate, dir.join(name));
    let _ = fs::remove_file(&candidate);
    match linked {
        Ok(()) => Ok(contents.to_owned()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => read(dir, name)?
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "removed while being read")),
        Err(error) => Err(error),
    }
}

/// Creates the empty marker `dir/name`; `true` when this call created it, `false` when it was
/// there already.
pub(crate) fn claim(dir: &Path, name: &str) -> io::Result<bool> {
    create_private_dir(dir)?;
    match private_file(&dir.join(name)) {
        Ok(_) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(error) => Err(error),
    }
}

/// Replaces `dir/name` with `contents`, whole: a reader sees the old file or the new one.
pub(crate) fn replace(dir: &Path, name: &str, contents: &str) -> io::Result<()> {
    let candidate = write_candidate(dir, name, contents)?;
    let renamed = fs::rename(&candidate, dir.join(name));
    if renamed.is_err() {
        let _ = fs::remove_file(&candidate);
    }
    renamed
}

/// Removes `dir/name`; `true` when there was one.
pub(crate) fn remove(dir: &Path, name: &str) -> io::Result<bool> {
    match fs::remove_file(dir.join(name)) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
    }
}

/// Writes `contents` to a new file of this run's own next to `dir/name`, creating `dir` if
/// need be; returns its path.
fn write_candidate(dir: &Path, name: &str, contents: &str) -> io::Result<PathBuf> {
    create_private_dir(dir)?;
    let candidate = dir.join(format!(".{name}.{}", crate::random::token()));
    let written = private_file(&candidate).and_then(|mut file| {
        file.write_all(contents.as_bytes())?;
        file.sync_all()
    });
    match written {
        Ok(()) => Ok(candidate),
        Err(error) => {
            let _ = fs::remove_file(&candidate);
            Err(error)
        }
    }
}

/// A new file at `path`, readable by its owner only; an existing one is an error.
fn private_file(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Creates `dir` and its missing parents, readable by their owner only.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::path::PathBuf;

    use super::{claim, create_once, locate, read, remove, replace};

    fn scratch() -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("telemetry-config-dir-{}", crate::random::token()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn concurrent_creators_agree_and_leave_nothing_behind() {
        let dir = scratch().join("nested").join("telemetry");
        let values: Vec<String> = (0..8)
            .map(|index| {
                let dir = dir.clone();
                std::thread::spawn(move || create_once(&dir, "id", &format!("{index}\n")).unwrap())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .collect();
        assert!(values.iter().all(|value| value == &values[0]));
        assert_eq!(read(&dir, "id").unwrap().as_ref(), Some(&values[0]));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode =
                |path: PathBuf| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(dir.join("id")), 0o600);
            assert_eq!(mode(dir.clone()), 0o700);
        }
    }

    #[test]
    fn one_claim_wins() {
        let dir = scratch();
        let wins = (0..8)
            .map(|_| {
                let dir = dir.clone();
                std::thread::spawn(move || claim(&dir, "marker").unwrap())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .filter(|won| *won)
            .count();
        assert_eq!(wins, 1);
    }

    #[test]
    fn replacing_and_removing() {
        let dir = scratch();
        assert_eq!(read(&dir, "choice").unwrap(), None);
        replace(&dir, "choice", "a").unwrap();
        replace(&dir, "choice", "b").unwrap();
        assert_eq!(read(&dir, "choice").unwrap().as_deref(), Some("b"));
        assert!(remove(&dir, "choice").unwrap());
        assert!(!remove(&dir, "choice").unwrap());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn a_directory_under_a_file_is_an_error_not_a_panic() {
        let dir = scratch();
        std::fs::write(dir.join("file"), "").unwrap();
        let blocked = dir.join("file").join("telemetry");
        assert!(create_once(&blocked, "id", "x").is_err());
        assert!(claim(&blocked, "marker").is_err());
        assert!(replace(&blocked, "choice", "x").is_err());
        assert_eq!(read(&blocked, "choice").ok().flatten(), None);
    }

    #[test]
    fn the_directory_is_the_configured_one_or_the_platforms() {
        let configured = PathBuf::from("/etc/acme");
        assert_eq!(locate(Some(configured.clone()), "acme"), Some(configured));
        assert_eq!(locate(None, "../acme"), None);
        assert_eq!(locate(None, ""), None);
        if let Some(platform) = dirs::config_dir() {
            assert_eq!(
                locate(None, "acme"),
                Some(platform.join("acme").join("telemetry"))
            );
        }
    }
}
