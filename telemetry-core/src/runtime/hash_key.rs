//! The installation's secret for [`Hashed`](crate::Hashed) values: read from `hash-key` in the
//! telemetry configuration directory, or made and stored there the first time an event has
//! something to hash; a throw-away secret for the run when it can be neither read nor stored.
//!
//! Two first runs at once agree on one secret: each writes its candidate to a file of its own
//! and links it into place, which only one link can do; the other reads the winner's.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use super::fs::read_small;
use crate::HashKey;

/// The secret's file name in the configuration directory.
pub(crate) const FILE_NAME: &str = "hash-key";

/// The most of the file read: the key and a line end.
const MAX_BYTES: u64 = 256;

/// The installation's secret under `dir`, created if there is none; when `dir` is unknown or the
/// secret cannot be read or stored, a fresh throw-away one and why, for the diagnostics.
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
    let path = dir.join(FILE_NAME);
    match read(&path).and_then(|key| key.map_or_else(|| create(dir, &path), Ok)) {
        Ok(key) => (key, None),
        Err(error) => (
            HashKey::random(),
            Some(format!(
                "the hash key {} cannot be used ({error}), so hashed fields use a key for this \
                 run only",
                path.display()
            )),
        ),
    }
}

/// The key stored at `path`; `None` when there is no file. A file that is not a key is an error,
/// and is left as it is: it may be something the user keeps there.
fn read(path: &Path) -> io::Result<Option<HashKey>> {
    match read_small(path, MAX_BYTES) {
        Ok(bytes) => std::str::from_utf8(&bytes)
            .ok()
            .and_then(HashKey::from_hex)
            .map(Some)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not 64 hexadecimal digits")),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Makes a key and stores it at `path`, unless another process stored one first: then that one.
fn create(dir: &Path, path: &Path) -> io::Result<HashKey> {
    create_private_dir(dir)?;
    let key = HashKey::random();
    let candidate = dir.join(format!(".{FILE_NAME}.{}", uuid::Uuid::new_v4().simple()));
    let written = write_private(&candidate, &key);
    let linked = written.and_then(|()| fs::hard_link(&candidate, path));
    let _ = fs::remove_file(&candidate);
    match linked {
        Ok(()) => Ok(key),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => read(path)?
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "removed while being read")),
        Err(error) => Err(error),
    }
}

/// Writes `key` to a new file at `path`, readable by its owner only.
fn write_private(path: &Path, key: &HashKey) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(format!("{}\n", key.to_hex()).as_bytes())?;
    file.sync_all()
}

/// Creates `dir` and its missing parents, readable by their owner only.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The default telemetry configuration directory: `<tool>/telemetry` in the user's
/// configuration directory, found from the environment (`var`) as each platform defines it.
/// `None` for a tool name that is not a plain file name, or without a home directory.
pub(crate) fn default_config_dir(
    tool_name: &str,
    var: impl Fn(&str) -> Option<PathBuf>,
) -> Option<PathBuf> {
    let plain = !tool_name.is_empty()
        && !matches!(tool_name, "." | "..")
        && !tool_name.contains(['/', '\\', ':']);
    if !plain {
        return None;
    }
    let absolute = |name: &str| var(name).filter(|path| path.is_absolute());
    let base = if cfg!(windows) {
        absolute("APPDATA")
    } else if cfg!(target_os = "macos") {
        absolute("HOME").map(|home| home.join("Library").join("Application Support"))
    } else {
        absolute("XDG_CONFIG_HOME").or_else(|| absolute("HOME").map(|home| home.join(".config")))
    }?;
    Some(base.join(tool_name).join("telemetry"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::path::{Path, PathBuf};

    use super::{FILE_NAME, default_config_dir, load_or_create};

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "telemetry-hash-key-{name}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_key_is_made_once_and_kept_private() {
        let dir = scratch("once").join("acme").join("telemetry");
        let (first, note) = load_or_create(Some(&dir));
        assert_eq!(note, None);
        let (second, note) = load_or_create(Some(&dir));
        assert_eq!(note, None);
        assert_eq!(first, second);
        let stored = std::fs::read_to_string(dir.join(FILE_NAME)).unwrap();
        assert_eq!(stored, format!("{}\n", first.to_hex()));
        // Nothing but the key is left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.join(FILE_NAME)), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
    }

    #[test]
    fn concurrent_first_runs_agree_on_one_key() {
        let dir = scratch("race");
        let keys: Vec<_> = (0..8)
            .map(|_| {
                let dir = dir.clone();
                std::thread::spawn(move || load_or_create(Some(&dir)))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .collect();
        for (key, note) in &keys {
            assert_eq!(note, &None);
            assert_eq!(key, &keys[0].0);
        }
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

    #[test]
    fn the_directory_follows_each_platforms_convention() {
        let vars = |name: &str| match name {
            "HOME" => Some(PathBuf::from("/home/me")),
            "APPDATA" => Some(PathBuf::from(r"C:\Users\me\AppData\Roaming")),
            "XDG_CONFIG_HOME" => Some(PathBuf::from("relative/ignored")),
            _ => None,
        };
        let dir = default_config_dir("acme", vars);
        if cfg!(target_os = "linux") {
            assert_eq!(dir, Some(PathBuf::from("/home/me/.config/acme/telemetry")));
        }
        if cfg!(target_os = "macos") {
            assert_eq!(
                dir,
                Some(PathBuf::from(
                    "/home/me/Library/Application Support/acme/telemetry"
                ))
            );
        }
        assert_eq!(default_config_dir("../acme", vars), None);
        assert_eq!(default_config_dir("acme", |_| None), None);
    }
}
