//! The data folder's locks: `receiver.lock`, held by a receiver for its whole life (one
//! receiver a folder), and `write.lock`, held around each write to the day files, by the
//! store's writer for one group commit and by whatever rewrites a file (`forget`) while it does,
//! so that neither ever sees the other's half-done work.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;

use super::files::private;
use crate::error::Error;

/// The name of the data folder's lock file.
pub(crate) const LOCK: &str = "receiver.lock";

/// Takes the data folder's lock, for as long as the file returned is open: one writer a folder,
/// so that two receivers never append to one file (their group commits would interleave) and
/// whatever rewrites the files waits for none. The file says which process holds it.
///
/// # Errors
///
/// When another process holds it (named), or it cannot be taken.
pub(crate) fn receiver(data: &Path) -> Result<File, Error> {
    let path = data.join(LOCK);
    let mut file = lock_file(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            return Err(Error::new(format!(
                "another receiver uses {} (process {}): one receiver a data folder; give this \
                 one a --data of its own",
                data.display(),
                holder.trim()
            )));
        }
        Err(std::fs::TryLockError::Error(error)) => {
            return Err(Error::new(format!(
                "cannot lock {}: {error}",
                path.display()
            )));
        }
    }
    file.set_len(0)
        .and_then(|()| writeln!(file, "{}", std::process::id()))
        .map_err(|error| Error::new(format!("cannot write {}: {error}", path.display())))?;
    Ok(file)
}

/// The name of the lock held around each write.
pub(crate) const WRITE_LOCK: &str = "write.lock";

/// The lock held around each write to the day files.
#[derive(Debug)]
pub(crate) struct WriteLock {
    file: File,
    path: std::path::PathBuf,
}

/// The write lock, held until dropped (a handle of the lock's own open file, which the lock
/// belongs to).
#[derive(Debug)]
pub(crate) struct Writing(File);

impl WriteLock {
    /// The data folder's write lock, not yet held.
    ///
    /// # Errors
    ///
    /// When its file cannot be opened.
    pub(crate) fn open(data: &Path) -> Result<Self, Error> {
        let path = data.join(WRITE_LOCK);
        Ok(WriteLock {
            file: lock_file(&path)?,
            path,
        })
    }

    /// Takes the lock, waiting for whoever holds it.
    ///
    /// # Errors
    ///
    /// When it cannot be taken.
    pub(crate) fn hold(&self) -> Result<Writing, Error> {
        let cannot = |error| Error::new(format!("cannot lock {}: {error}", self.path.display()));
        let handle = self.file.try_clone().map_err(cannot)?;
        handle.lock().map_err(cannot)?;
        Ok(Writing(handle))
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// The lock file at `path`, opened (created readable by its owner only, never through a
/// symlink).
fn lock_file(path: &Path) -> Result<File, Error> {
    private(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
    .open(path)
    .map_err(|error| Error::new(format!("cannot open {}: {error}", path.display())))
}
