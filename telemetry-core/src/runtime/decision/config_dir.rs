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
//! Every file is created readable by its owner only, in a directory that is too; and, as git
//! does for repositories, files are trusted only when the directory and the file are this
//! user's and no one else can write them: anything else is an error saying why, never read
//! (another user's planted `choice` or `installation-id` decides nothing).

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::runtime::context::settings::DirSetting;
use crate::runtime::fs::{check_trusted_dir, is_absent, read_private};

/// The most read of any of these files.
const MAX_BYTES: u64 = 4096;

/// The telemetry configuration directory: the one `<PREFIX>_TELEMETRY_CONFIG_DIR` names, else
/// `<tool>/telemetry` in the user's configuration directory as the platform defines it
/// (`$XDG_CONFIG_HOME` or `~/.config`, `~/Library/Application Support`, `%APPDATA%`). An error
/// says why there is none: a variable that is not an absolute path, no home directory, a tool
/// name that is not a plain file name.
///
/// The platform's directory may take a look-up of the user's account: call it off the host
/// program's thread.
pub(crate) fn locate(setting: DirSetting, tool_name: &str) -> Result<PathBuf, String> {
    match setting {
        DirSetting::Configured(dir) => return Ok(dir),
        DirSetting::Refused(why) => return Err(why),
        DirSetting::Platform => {}
    }
    let plain = !tool_name.is_empty()
        && !matches!(tool_name, "." | "..")
        && !tool_name.contains(['/', '\\', ':']);
    if !plain {
        return Err(format!(
            "the program's name `{tool_name}` is not a plain file name, so it has no \
             configuration directory of its own"
        ));
    }
    platform_config_dir(&|name| std::env::var_os(name), std::env::home_dir())
        .map(|dir| dir.join(tool_name).join("telemetry"))
        .ok_or_else(|| "no configuration directory is known (no home directory)".into())
}

/// The platform's directory for a user's configuration, as the `dirs` crate and most programs
/// have it: `$XDG_CONFIG_HOME` or `~/.config` on Linux and the BSDs, `~/Library/Application
/// Support` on macOS, `%APPDATA%` (the roaming application data) on Windows. `var` reads the
/// environment and `home` is the user's home directory; only absolute paths are taken (an empty
/// or relative `HOME` says nothing).
fn platform_config_dir(
    var: &dyn Fn(&str) -> Option<std::ffi::OsString>,
    home: Option<PathBuf>,
) -> Option<PathBuf> {
    let absolute = |path: PathBuf| path.is_absolute().then_some(path);
    let home = home.and_then(absolute);
    if cfg!(windows) {
        var("APPDATA")
            .map(PathBuf::from)
            .and_then(absolute)
            .or_else(|| home.map(|home| home.join("AppData").join("Roaming")))
    } else if cfg!(target_os = "macos") {
        home.map(|home| home.join("Library").join("Application Support"))
    } else {
        var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .and_then(absolute)
            .or_else(|| home.map(|home| home.join(".config")))
    }
}

/// Whether `dir` may hold telemetry's files (see the module's docs); the error says why not.
pub(crate) fn check_trusted(dir: &Path) -> io::Result<()> {
    check_trusted_dir(dir).map_err(|error| {
        io::Error::new(
            error.kind(),
            format!("the directory {} is not trusted: {error}", dir.display()),
        )
    })
}

/// The text of `dir/name`; `None` when there is no such file. A file that is not a small
/// regular UTF-8 file, or is not trusted, is an error.
pub(crate) fn read(dir: &Path, name: &str) -> io::Result<Option<String>> {
    check_trusted(dir)?;
    match read_private(&dir.join(name), MAX_BYTES) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text")),
        Err(error) if is_absent(&error) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Whether there is anything at `dir/name` (a symlink, even a dangling one, counts).
pub(crate) fn exists(dir: &Path, name: &str) -> io::Result<bool> {
    check_trusted(dir)?;
    match fs::symlink_metadata(dir.join(name)) {
        Ok(_) => Ok(true),
        Err(error) if is_absent(&error) => Ok(false),
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
    check_trusted(dir)?;
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

/// Keeps what is at `dir/name` under a name of its own beside it, `name.unreadable-<random>`,
/// and returns that path. `dir/name` stays where it is (the new name is a hard link), so that a
/// reader never finds it missing meanwhile; what cannot be linked (a directory) is moved.
pub(crate) fn keep_aside(dir: &Path, name: &str) -> io::Result<PathBuf> {
    let aside = dir.join(format!("{name}.unreadable-{}", crate::random::token()));
    match fs::hard_link(dir.join(name), &aside) {
        Ok(()) => Ok(aside),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Err(error),
        Err(_) => fs::rename(dir.join(name), &aside).map(|()| aside),
    }
}

/// Whether writing to `path` would write one of telemetry's own files in `dir`, those whose
/// name `is_own`: a path to one (however it reaches it: symlinked folders are resolved), or
/// another name of one (a hard link). Keeps the log file from ever being one of them.
pub(crate) fn holds(dir: &Path, path: &Path, is_own: impl Fn(&str) -> bool) -> bool {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let own_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(&is_own);
    if own_name
        && let (Ok(dir), Ok(parent)) = (fs::canonicalize(dir), fs::canonicalize(parent))
        && dir == parent
    {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        // The log file is opened without following a final symlink: its own inode counts.
        let Ok(target) = fs::symlink_metadata(path) else {
            return false;
        };
        let Ok(entries) = fs::read_dir(dir) else {
            return false;
        };
        // The folder holds a handful of files; a bound keeps a planted crowd from costing time.
        entries.take(256).flatten().any(|entry| {
            entry.file_name().to_str().is_some_and(&is_own)
                && entry
                    .metadata()
                    .is_ok_and(|own| own.dev() == target.dev() && own.ino() == target.ino())
        })
    }
    #[cfg(not(unix))]
    false
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
    check_trusted(dir)?;
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

    use super::{
        DirSetting, check_trusted, claim, create_once, exists, holds, locate, platform_config_dir,
        read, remove, replace,
    };

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
        assert_eq!(
            locate(DirSetting::Configured(configured.clone()), "acme"),
            Ok(configured)
        );
        assert_eq!(
            locate(DirSetting::Refused("relative".into()), "acme"),
            Err("relative".into())
        );
        assert!(locate(DirSetting::Platform, "../acme").is_err());
        assert!(locate(DirSetting::Platform, "").is_err());
        if let Some(platform) =
            platform_config_dir(&|name| std::env::var_os(name), std::env::home_dir())
        {
            assert_eq!(
                locate(DirSetting::Platform, "acme"),
                Ok(platform.join("acme").join("telemetry"))
            );
        }
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn the_platforms_directory_is_xdg_config_home_or_dot_config_in_the_home() {
        let env = |xdg: Option<&'static str>| {
            move |name: &str| {
                (name == "XDG_CONFIG_HOME")
                    .then_some(xdg)
                    .flatten()
                    .map(Into::into)
            }
        };
        let home = Some(PathBuf::from("/home/ann"));
        assert_eq!(
            platform_config_dir(&env(Some("/xdg")), home.clone()),
            Some(PathBuf::from("/xdg"))
        );
        for ignored in [None, Some(""), Some("relative/xdg")] {
            assert_eq!(
                platform_config_dir(&env(ignored), home.clone()),
                Some(PathBuf::from("/home/ann/.config")),
                "XDG_CONFIG_HOME={ignored:?}"
            );
        }
        assert_eq!(platform_config_dir(&env(None), Some(PathBuf::new())), None);
        assert_eq!(platform_config_dir(&env(None), Some("ann".into())), None);
        assert_eq!(platform_config_dir(&env(None), None), None);
    }

    #[cfg(unix)]
    #[test]
    fn files_are_trusted_only_in_the_users_own_private_directory() {
        use std::os::unix::fs::PermissionsExt as _;
        let set_mode = |path: &std::path::Path, mode| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        let dir = scratch();
        std::fs::write(dir.join("id"), "x\n").unwrap();
        set_mode(&dir, 0o755);
        assert_eq!(read(&dir, "id").unwrap().as_deref(), Some("x\n"));

        set_mode(&dir, 0o777);
        let error = read(&dir, "id").unwrap_err().to_string();
        assert!(
            error.contains("is not trusted: others can write to it (mode 777)"),
            "{error}"
        );
        assert!(exists(&dir, "id").is_err());
        assert!(create_once(&dir, "other", "y").is_err());
        assert!(claim(&dir, "marker").is_err());
        assert!(replace(&dir, "choice", "z").is_err());
        assert!(check_trusted(&dir).is_err());
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "nothing written"
        );

        set_mode(&dir, 0o700);
        set_mode(&dir.join("id"), 0o666);
        let error = read(&dir, "id").unwrap_err().to_string();
        assert!(
            error.contains("others can write to it (mode 666)"),
            "{error}"
        );
        set_mode(&dir.join("id"), 0o600);
        assert!(read(&dir, "id").is_ok());
        // A directory that does not exist yet is made private, so it is trusted.
        assert!(check_trusted(&dir.join("new")).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_path_to_one_of_its_files_is_its_own_however_it_gets_there() {
        let dir = scratch();
        let other = scratch();
        let own = |name: &str| name == "choice";
        std::fs::write(dir.join("choice"), "enabled\n").unwrap();
        assert!(holds(&dir, &dir.join("choice"), own));
        assert!(
            !holds(&dir, &dir.join("telemetry.jsonl"), own),
            "a file of the user's"
        );
        std::fs::write(dir.join("telemetry.jsonl"), "").unwrap();
        assert!(
            !holds(&dir, &dir.join("telemetry.jsonl"), own),
            "even once it exists"
        );
        std::os::unix::fs::symlink(&dir, other.join("linked")).unwrap();
        assert!(holds(&dir, &other.join("linked").join("choice"), own));
        std::fs::hard_link(dir.join("choice"), other.join("choice-link")).unwrap();
        assert!(holds(&dir, &other.join("choice-link"), own));
        assert!(!holds(&dir, &other.join("telemetry.jsonl"), own));
        assert!(!holds(
            &dir.join("missing"),
            &other.join("telemetry.jsonl"),
            own
        ));
    }
}
