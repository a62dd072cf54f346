//! Durable storage: JSON Lines in `DATA/events/YYYY-MM-DD.jsonl` and `DATA/failed/...` (the UTC
//! day of receipt), files readable by their owner only (0600) in folders that are too (0700).
//!
//! One thread writes every file, so that requests never interleave their lines, and commits in
//! groups: it takes every batch waiting, appends them, calls `fsync` once per file touched, and
//! only then acknowledges each batch. A request is answered only once its lines are on disk: an
//! event the client saw acknowledged survives a crash or `kill -9`, and concurrent requests
//! share one `fsync`.
//!
//! Every file holds whole lines only. A group whose write or `fsync` fails (a full disk) is
//! undone: each file it touched is cut back to its length before the group and synced, so a
//! refusal means nothing of it was stored, and the next line never lands on a half one. A file
//! that does not end in a line feed when it is opened (a tail torn by anything else) has that
//! tail moved aside into `DATA/quarantine/`, named in a line on standard error. A day's file
//! moved or deleted while open (log rotation, a cleanup job) is noticed before the next write,
//! and a new one opened: nothing acknowledged goes to a file no path names.
//!
//! Beside the writer: the folder's [`lock`]s, the [`files`] themselves, [`retention`] (day files
//! older than a limit deleted) and [`forget`] (one installation's lines removed from every file,
//! each file replaced atomically under the write lock).

pub(crate) mod files;
pub(crate) mod forget;
pub(crate) mod lock;
pub(crate) mod retention;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use tokio::sync::{mpsc, oneshot};

pub(crate) use self::files::Kind;
use self::files::{private_append, private_dir, quarantine_torn_tail, same_file};
use crate::day::utc_day;
use crate::error::Error;

/// What one request stores.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// When the request was received, in milliseconds since the Unix epoch: its day names the
    /// files.
    pub(crate) received_at: u64,
    /// Envelope lines, each ending in a line feed ([`lines`]).
    pub(crate) events: Vec<u8>,
    /// Failure record lines, each ending in a line feed.
    pub(crate) failed: Vec<u8>,
}

/// `lines` in one buffer, each ending in a line feed: what a [`Batch`] holds. The request puts
/// its lines together, on its own thread, so that the writer, which every request waits for,
/// only writes.
pub(crate) fn lines<T: AsRef<[u8]>>(lines: impl IntoIterator<Item = T>) -> Vec<u8> {
    let mut text = Vec::new();
    for line in lines {
        text.extend_from_slice(line.as_ref());
        text.push(b'\n');
    }
    text
}

type Job = (Batch, oneshot::Sender<Result<(), String>>);

/// The handle requests commit batches through.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    jobs: mpsc::Sender<Job>,
}

impl Store {
    /// Opens the store in `data` (creating its folders), and starts its writer thread, which
    /// ends once every handle is dropped.
    ///
    /// # Errors
    ///
    /// When the folders cannot be made, or the thread cannot be started.
    pub(crate) fn open(data: &Path, queue: usize) -> Result<Self, Error> {
        for kind in [Kind::Events, Kind::Failed] {
            private_dir(&data.join(kind.folder())).map_err(|error| {
                Error::new(format!(
                    "cannot make {}: {error}",
                    data.join(kind.folder()).display()
                ))
            })?;
        }
        let lock = lock::receiver(data)?;
        let (jobs, inbox) = mpsc::channel(queue.max(1));
        let writer = Writer {
            data: data.to_owned(),
            open: BTreeMap::new(),
            _lock: lock,
            write_lock: lock::WriteLock::open(data)?,
        };
        std::thread::Builder::new()
            .name("receiver-store".into())
            .spawn(move || writer.run(inbox))
            .map_err(|error| Error::new(format!("cannot start the store's thread: {error}")))?;
        Ok(Store { jobs })
    }

    /// Stores `batch`; returns once it is on disk.
    ///
    /// # Errors
    ///
    /// When it could not be written or synced, in words.
    pub(crate) async fn commit(&self, batch: Batch) -> Result<(), String> {
        if batch.events.is_empty() && batch.failed.is_empty() {
            return Ok(());
        }
        let (done, acknowledged) = oneshot::channel();
        self.jobs
            .send((batch, done))
            .await
            .map_err(|_| "the store has stopped".to_owned())?;
        acknowledged
            .await
            .unwrap_or_else(|_| Err("the store has stopped".into()))
    }
}

struct Writer {
    data: PathBuf,
    /// The files open, by kind and day: a day's file stays open until the next day's is.
    open: BTreeMap<(Kind, String), File>,
    /// The folder's lock, held as long as the writer runs.
    _lock: File,
    /// The lock held around each group commit.
    write_lock: lock::WriteLock,
}

impl Writer {
    fn run(mut self, mut inbox: mpsc::Receiver<Job>) {
        while let Some(job) = inbox.blocking_recv() {
            let mut jobs = vec![job];
            while let Ok(more) = inbox.try_recv() {
                jobs.push(more);
            }
            let result = self.write(jobs.iter().map(|(batch, _)| batch));
            for (_, done) in jobs {
                let _ = done.send(result.clone());
            }
        }
    }

    /// Appends every batch, then syncs each file touched once, holding the write lock (a file
    /// being rewritten by `forget` is waited for, then reopened); on any failure, undoes the
    /// whole group.
    fn write<'a>(&mut self, batches: impl Iterator<Item = &'a Batch>) -> Result<(), String> {
        let _writing = self.write_lock.hold().map_err(|error| error.to_string())?;
        let mut pending: BTreeMap<(Kind, String), Vec<&[u8]>> = BTreeMap::new();
        for batch in batches {
            let day = utc_day(batch.received_at);
            for (kind, text) in [(Kind::Events, &batch.events), (Kind::Failed, &batch.failed)] {
                if !text.is_empty() {
                    pending.entry((kind, day.clone())).or_default().push(text);
                }
            }
        }
        // Each file touched, with its length before the group.
        let mut touched: Vec<((Kind, String), u64)> = Vec::new();
        let mut result = Ok(());
        for ((kind, day), texts) in pending {
            let name = format!("{}/{day}.jsonl", kind.folder());
            let file = match self.file(kind, &day) {
                Ok(file) => file,
                Err(error) => {
                    result = Err(format!("cannot open {name}: {error}"));
                    break;
                }
            };
            let written = file
                .metadata()
                .map(|metadata| metadata.len())
                .and_then(|length| {
                    touched.push(((kind, day.clone()), length));
                    texts
                        .into_iter()
                        .try_for_each(|text| file.write_all(text))
                        .and_then(|()| file.sync_data())
                });
            if let Err(error) = written {
                result = Err(format!("cannot write {name}: {error}"));
                break;
            }
        }
        if result.is_err() {
            self.undo(touched);
        }
        result
    }

    /// Cuts each file of `touched` back to its length before the group, and syncs it. After a
    /// failed `fsync` what the kernel holds of a file is unknown, so the file is closed too,
    /// and opened afresh (and checked for a torn tail) by the next write.
    fn undo(&mut self, touched: Vec<((Kind, String), u64)>) {
        for (key, length) in touched {
            if let Some(file) = self.open.remove(&key) {
                let undone = file.set_len(length).and_then(|()| file.sync_all());
                if let Err(error) = undone {
                    eprintln!(
                        "receiver: cannot undo a failed write to {}/{}.jsonl ({error}); its \
                         tail is moved aside when it is opened next",
                        key.0.folder(),
                        key.1
                    );
                }
            }
        }
    }

    /// The file of `kind` for `day`, opened for appending (and created, its folder synced, so
    /// that a new file survives a crash too).
    fn file(&mut self, kind: Kind, day: &str) -> io::Result<&mut File> {
        let key = (kind, day.to_owned());
        let folder = self.data.join(kind.folder());
        let path = folder.join(format!("{day}.jsonl"));
        // A file moved or deleted since it was opened: the path names another file, or none.
        if let Some(open) = self.open.get(&key)
            && !same_file(open, &path)
        {
            self.open.remove(&key);
        }
        if !self.open.contains_key(&key) {
            let created = !path.exists();
            let file = private_append(&path)?;
            if created {
                File::open(&folder)?.sync_all()?;
            } else {
                quarantine_torn_tail(&file, &path, &self.data, (kind, day))?;
            }
            // Earlier days' files of this kind are done with.
            self.open.retain(|(open_kind, _), _| *open_kind != kind);
            self.open.insert(key.clone(), file);
        }
        self.open
            .get_mut(&key)
            .ok_or_else(|| io::Error::other("the file just opened is gone"))
    }
}

#[cfg(test)]
mod tests {
    use super::{Batch, Store};

    #[tokio::test]
    async fn concurrent_batches_land_whole_in_their_days_files() {
        let data = tempfile::tempdir().unwrap();
        let store = Store::open(data.path(), 8).unwrap();
        let mut tasks = Vec::new();
        for client in 0_u64..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for request in 0..5 {
                    let batch = Batch {
                        received_at: 1_709_251_100_000 + (client % 2) * 86_400_000,
                        events: super::lines(
                            (0..3).map(|i| format!("{{\"c\":{client},\"r\":{request},\"i\":{i}}}")),
                        ),
                        failed: super::lines([format!("{{\"c\":{client}}}")]),
                    };
                    store.commit(batch).await.unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let read = |path: &str| std::fs::read_to_string(data.path().join(path)).unwrap();
        let day_one = read("events/2024-02-29.jsonl");
        let day_two = read("events/2024-03-01.jsonl");
        assert_eq!(day_one.lines().count() + day_two.lines().count(), 8 * 5 * 3);
        assert_eq!(read("failed/2024-02-29.jsonl").lines().count(), 4 * 5);
        for line in day_one.lines().chain(day_two.lines()) {
            serde_json::from_str::<serde_json::Value>(line).unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |path: &str| {
                std::fs::metadata(data.path().join(path))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777
            };
            assert_eq!(mode("events/2024-02-29.jsonl"), 0o600);
            assert_eq!(mode("events"), 0o700);
            assert_eq!(mode("failed"), 0o700);
        }
    }
}
