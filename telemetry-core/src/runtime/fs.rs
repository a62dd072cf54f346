//! The file-system access the runtime allows itself, always on its own threads: bounded reads
//! of small regular files that never block (a FIFO or a device is refused, not read), and
//! opening the log file without following a symlink, only if it is a regular file.

use std::fs::File;
use std::io::{self, Read as _};
use std::path::Path;

/// The most the runtime reads of any one file: git configuration files are a few kilobytes.
pub(crate) const MAX_FILE_BYTES: u64 = 1 << 20;

/// The contents of `path`, a regular file of at most `limit` bytes. Opening never waits (a FIFO
/// without a writer, a device), and anything but a regular file is an error, as is a larger file.
pub(crate) fn read_small(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    read_opened(open_for_reading(path, Follow::Yes)?, limit)
}

/// The contents of `path`, one of telemetry's own files: as [`read_small`], and besides never
/// through a symlink, and only from a file of this user's that no one else can write (git's
/// rule for the files it trusts); anything else is an error that says why.
pub(crate) fn read_private(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = open_for_reading(path, Follow::No)?;
    check_trusted(&file.metadata()?)?;
    read_opened(file, limit)
}

/// Whether the directory `dir` may hold telemetry's own files: one of this user's that no one
/// else can write (git's rule for the repositories it trusts), or one that does not exist yet
/// (it is made private). An error says why not.
pub(crate) fn check_trusted_dir(dir: &Path) -> io::Result<()> {
    match std::fs::metadata(dir) {
        Ok(metadata) => check_trusted(&metadata),
        // No directory, so no file of telemetry's either.
        Err(error) if is_absent(&error) => Ok(()),
        Err(error) => Err(error),
    }
}

/// Whether `error` says there is nothing at the path: nothing there, or a file where a folder
/// of the path should be.
pub(crate) fn is_absent(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// Whether the file or directory `metadata` describes is this user's and no one else can write
/// it (on unix; elsewhere, the platform's own access rules decide).
#[cfg(unix)]
fn check_trusted(metadata: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let user = current_uid();
    if metadata.uid() != user {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "it belongs to user {}, not to this user ({user})",
                metadata.uid()
            ),
        ));
    }
    if metadata.mode() & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "others can write to it (mode {:o})",
                metadata.mode() & 0o7777
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_trusted(_metadata: &std::fs::Metadata) -> io::Result<()> {
    Ok(())
}

/// What `file` holds, at most `limit` bytes, if it is a regular file.
fn read_opened(file: File, limit: u64) -> io::Result<Vec<u8>> {
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    if metadata.len() > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {limit} bytes"),
        ));
    }
    let mut contents = Vec::new();
    // The file may grow between the check and the read: never read more than the limit.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut contents)?;
    if u64::try_from(contents.len()).unwrap_or(u64::MAX) > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {limit} bytes"),
        ));
    }
    Ok(contents)
}

/// [`read_small`] as text; `None` when it cannot be read or is not UTF-8.
pub(crate) fn read_small_text(path: &Path) -> Option<String> {
    String::from_utf8(read_small(path, MAX_FILE_BYTES).ok()?).ok()
}

/// Whether opening follows a symlink in the last component of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Follow {
    Yes,
    No,
}

#[cfg(unix)]
fn open_for_reading(path: &Path, follow: Follow) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    // `NONBLOCK`: opening a FIFO returns at once instead of waiting for a writer; a regular
    // file reads the same either way. `NOCTTY`: a terminal never becomes ours. (The standard
    // library adds `CLOEXEC`.)
    let nofollow = if follow == Follow::No {
        libc::O_NOFOLLOW
    } else {
        0
    };
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | nofollow)
        .open(path)
        .map_err(symlink_said)
}

#[cfg(not(unix))]
fn open_for_reading(path: &Path, follow: Follow) -> io::Result<File> {
    if follow == Follow::No && std::fs::symlink_metadata(path)?.is_symlink() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, SYMLINK));
    }
    File::open(path)
}

/// Why a path that ends in a symlink is refused.
const SYMLINK: &str = "a symbolic link, which is never followed";

/// `error`, saying so when it is `O_NOFOLLOW`'s refusal of a symlink.
#[cfg(unix)]
fn symlink_said(error: io::Error) -> io::Error {
    if error.raw_os_error() == Some(libc::ELOOP) {
        io::Error::new(io::ErrorKind::InvalidInput, SYMLINK)
    } else {
        error
    }
}

/// What opening the log file found.
#[derive(Debug)]
pub(crate) struct LogFileOpened {
    /// The file, open for appending.
    pub(crate) file: File,
    /// Whether it was readable by others and has just been made private.
    pub(crate) made_private: bool,
}

/// Opens the log file for appending, creating it readable by its owner only (mode 0600). The
/// last component is never followed if it is a symlink (another user's link in a shared
/// directory must not redirect the data), opening never waits (a FIFO without a reader is an
/// error), and only a regular file is used. An existing file that others can read is made
/// private when it is the user's, and refused when it is someone else's.
pub(crate) fn open_log(path: &Path) -> io::Result<LogFileOpened> {
    let file = open_for_appending(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let made_private = make_private(&file, &metadata)?;
    Ok(LogFileOpened { file, made_private })
}

#[cfg(unix)]
fn open_for_appending(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(symlink_said)
}

#[cfg(not(unix))]
fn open_for_appending(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
}

/// Makes an existing log file that others can read private, if it is the user's; refuses it if
/// it is someone else's. Returns whether it changed the mode.
#[cfg(unix)]
fn make_private(file: &File, metadata: &std::fs::Metadata) -> io::Result<bool> {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let readable_by_others = metadata.mode() & 0o077 != 0;
    if !readable_by_others {
        return Ok(false);
    }
    if metadata.uid() != current_uid() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "others can read it and it belongs to user {}, so it cannot be made private",
                metadata.uid()
            ),
        ));
    }
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(true)
}

#[cfg(not(unix))]
fn make_private(_file: &File, _metadata: &std::fs::Metadata) -> io::Result<bool> {
    Ok(false)
}

/// The effective user ID of this process: the owner of a pipe it makes, which every unix
/// kernel sets to the creating process's effective user (the standard library has no
/// `geteuid`, and this spares an unsafe call). `u32::MAX`, which no file has, when no pipe can
/// be made: then nothing is taken for the user's own.
#[cfg(unix)]
pub(crate) fn current_uid() -> u32 {
    use std::os::unix::fs::MetadataExt as _;
    static UID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UID.get_or_init(|| {
        io::pipe()
            .and_then(|(reader, _writer)| File::from(std::os::fd::OwnedFd::from(reader)).metadata())
            .map_or(u32::MAX, |metadata| metadata.uid())
    })
}

#[cfg(test)]
mod tests {
    use super::{open_log, read_small};

    #[cfg(unix)]
    #[test]
    fn the_current_user_is_the_effective_one() {
        assert_eq!(super::current_uid(), rustix::process::geteuid().as_raw());
    }

    #[test]
    fn reads_small_regular_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, "[core]\n").unwrap();
        assert_eq!(read_small(&path, 100).unwrap(), b"[core]\n");
        assert!(read_small(&path, 3).is_err(), "too large");
        assert!(read_small(dir.path(), 100).is_err(), "a directory");
        assert!(read_small(&dir.path().join("missing"), 100).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn never_waits_on_a_fifo_nor_reads_a_device() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .unwrap();
        assert!(read_small(&fifo, 100).is_err());
        assert!(read_small(std::path::Path::new("/dev/zero"), 100).is_err());
        let link = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(read_small(&link, 100).is_err());
        // A FIFO without a reader is no log file either, and opening it does not wait.
        assert!(open_log(&fifo).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_log_file_is_private_and_never_a_symlink() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let created = dir.path().join("new.jsonl");
        let opened = open_log(&created).unwrap();
        assert!(!opened.made_private);
        let mode = |path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&created), 0o600);

        let shared = dir.path().join("shared.jsonl");
        std::fs::write(&shared, "").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(open_log(&shared).unwrap().made_private);
        assert_eq!(mode(&shared), 0o600);

        let target = dir.path().join("target.jsonl");
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(open_log(&link).is_err(), "a dangling symlink");
        assert!(!target.exists(), "nothing created through it");
        std::fs::write(&target, "").unwrap();
        assert!(open_log(&link).is_err(), "a symlink to a file");
    }
}
