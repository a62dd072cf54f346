//! The JSON Lines log file (`<PREFIX>_TELEMETRY_LOG_FILE`), written by a thread of its own: a
//! file that blocks (a slow disk, a lock another process holds) never holds up the network, nor
//! the host program. Each line is one `write` under an exclusive lock, so that lines of
//! concurrent processes never interleave.

use std::fs::File;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::diagnostics::{self, kind};
use super::queue::{self, Receiver, Sender, TrySendError};
use super::shared::Shared;
use crate::runtime::clock::now_ms;
use crate::runtime::fs;
use crate::runtime::thread::spawn_detached;

/// What the writer thread is asked to do.
enum Message {
    /// Append this line.
    Line(Vec<u8>),
    /// Signal when every line before this one is written.
    Flush(Sender<()>),
}

/// The handle of the writer thread.
#[derive(Debug)]
pub(crate) struct LogWriter {
    lines: Sender<Message>,
    /// Lines dropped because the thread was behind, not yet reported.
    dropped: Arc<AtomicU64>,
}

impl LogWriter {
    /// Starts the thread that opens `path` (see [`fs::open_log`]) and appends every line it is
    /// given; up to `capacity` lines wait for it. `None` when the thread cannot start.
    pub(crate) fn spawn(
        path: PathBuf,
        capacity: usize,
        execution_id: String,
        shared: Arc<Shared>,
    ) -> Option<Self> {
        let (lines, inbox) = queue::bounded(capacity);
        let dropped = Arc::new(AtomicU64::new(0));
        let thread = Thread {
            dropped: Arc::clone(&dropped),
            execution_id,
            shared,
        };
        spawn_detached(
            "telemetry-log".into(),
            Box::new(move || thread.run(&path, &inbox)),
        )
        .ok()?;
        Some(LogWriter { lines, dropped })
    }

    /// Hands `line` (without its newline) to the thread; drops and counts it when the thread is
    /// behind.
    pub(crate) fn write(&self, line: Vec<u8>) {
        if let Err(TrySendError::Full(_)) = self.lines.try_send(Message::Line(line)) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits, until `deadline` at most, for every line handed over so far to be written.
    /// Returns whether they were.
    pub(crate) fn flush(&self, deadline: Instant) -> bool {
        let (done, finished) = queue::unbounded();
        let mut message = Message::Flush(done);
        loop {
            match self.lines.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Disconnected(_)) => return false,
                Err(TrySendError::Full(back)) => {
                    if Instant::now() >= deadline {
                        return false;
                    }
                    message = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
        finished
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }
}

/// The writer thread's state.
struct Thread {
    dropped: Arc<AtomicU64>,
    execution_id: String,
    shared: Arc<Shared>,
}

impl Thread {
    fn run(&self, path: &std::path::Path, inbox: &Receiver<Message>) {
        // Opened here: opening can wait (a slow file system), and must not hold anything up.
        let file = match fs::open_log(path) {
            Ok(opened) => {
                if opened.made_private {
                    self.diagnostic(
                        &opened.file,
                        kind::CONFIGURATION,
                        "the log file was readable by others; it is now readable by its owner only",
                    );
                }
                Some(opened.file)
            }
            // An unusable path changes nothing for the host program: no log file, that is all.
            Err(_) => None,
        };
        while let Ok(message) = inbox.recv() {
            match (message, &file) {
                (Message::Line(line), Some(file)) => {
                    let dropped = self.dropped.swap(0, Ordering::Relaxed);
                    if dropped > 0 {
                        let message = format!(
                            "{dropped} line(s) of this log were not written: the file could not \
                             be written fast enough"
                        );
                        self.diagnostic(file, kind::DROPPED, &message);
                    }
                    let _ = self.write_line(file, &line);
                }
                (Message::Line(_), None) => {}
                (Message::Flush(done), _) => {
                    let _ = done.try_send(());
                }
            }
        }
    }

    fn diagnostic(&self, file: &File, kind: &str, message: &str) {
        let line = diagnostics::line(kind, message, now_ms(), &self.execution_id);
        let _ = self.write_line(file, &line);
    }

    /// Appends `line` and a newline in one write, under an exclusive lock. While another
    /// process holds the lock it waits, but never past the shutdown deadline.
    fn write_line(&self, file: &File, line: &[u8]) -> std::io::Result<()> {
        let mut buffer = Vec::with_capacity(line.len().saturating_add(1));
        buffer.extend_from_slice(line);
        buffer.push(b'\n');
        let mut pause = Duration::from_millis(1);
        let locked = loop {
            match file.try_lock() {
                Ok(()) => break true,
                Err(std::fs::TryLockError::WouldBlock) => {
                    if self.shared.deadline().is_some_and(|d| Instant::now() >= d) {
                        return Err(std::io::ErrorKind::TimedOut.into());
                    }
                    std::thread::sleep(pause);
                    pause = pause.saturating_mul(2).min(Duration::from_millis(20));
                }
                // A file system without locks: one `write` of an appending file is the best
                // there is.
                Err(std::fs::TryLockError::Error(_)) => break false,
            }
        };
        let written = (&*file).write_all(&buffer);
        if locked {
            let _ = file.unlock();
        }
        written
    }
}
