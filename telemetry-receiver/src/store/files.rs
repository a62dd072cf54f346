//! The day files as files: their two [`Kind`]s, opened for appending or reading, never through
//! a symlink, readable by their owner only; whether a path still names an open file; and a torn
//! tail moved aside.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::path::Path;

/// The two kinds of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// `events/`: the envelopes of valid events.
    Events,
    /// `failed/`: failure records.
    Failed,
}

impl Kind {
    /// The kind's folder under the data folder.
    pub(crate) fn folder(self) -> &'static str {
        match self {
            Kind::Events => "events",
            Kind::Failed => "failed",
        }
    }
}

/// Whether `path` names the file `open`.
pub(crate) fn same_file(open: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (open.metadata(), std::fs::symlink_metadata(path)) {
            (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = open;
        path.exists()
    }
}

/// Moves a torn tail of `file`, open for appending at `path` (what follows its last line feed),
/// aside into `DATA/quarantine/<kind>-<day>-<ms>.partial`, synced, then cuts it off the file.
pub(crate) fn quarantine_torn_tail(
    file: &File,
    path: &Path,
    data: &Path,
    (kind, day): (Kind, &str),
) -> io::Result<()> {
    use std::io::{Read as _, Seek as _, SeekFrom};

    let length = file.metadata()?.len();
    if length == 0 {
        return Ok(());
    }
    let mut reader = private_read(path)?;
    // Back from the end, a block at a time, to the last line feed.
    let mut end = length;
    let mut tail_start = 0;
    let mut block = vec![0; 64 << 10];
    'search: while end > 0 {
        let start = end.saturating_sub(block.len() as u64);
        let size = usize::try_from(end - start).unwrap_or(block.len());
        reader.seek(SeekFrom::Start(start))?;
        reader.read_exact(&mut block[..size])?;
        if start + size as u64 == length && block[size - 1] == b'\n' {
            return Ok(());
        }
        if let Some(position) = block[..size].iter().rposition(|&byte| byte == b'\n') {
            tail_start = start + position as u64 + 1;
            break 'search;
        }
        end = start;
    }
    let folder = data.join("quarantine");
    private_dir(&folder)?;
    let name = format!("{}-{day}-{}.partial", kind.folder(), crate::day::now_ms());
    let aside_path = folder.join(&name);
    let mut aside = private_append(&aside_path)?;
    reader.seek(SeekFrom::Start(tail_start))?;
    io::copy(&mut (&mut reader).take(length - tail_start), &mut aside)?;
    aside.sync_all()?;
    File::open(&folder)?.sync_all()?;
    file.set_len(tail_start)?;
    file.sync_all()?;
    eprintln!(
        "receiver: {}/{day}.jsonl ended in a torn line of {} byte(s): moved to {}",
        kind.folder(),
        length - tail_start,
        aside_path.display()
    );
    Ok(())
}

/// `options` that never follow a symlink and create files readable by their owner only: how
/// every file of the data folder is opened.
pub(crate) fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options
}

/// `path` opened for reading, never through a symlink.
pub(crate) fn private_read(path: &Path) -> io::Result<File> {
    private(OpenOptions::new().read(true)).open(path)
}

/// `dir` and its missing parents, readable by their owner only.
pub(crate) fn private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// `path` opened for appending, created readable by its owner only, never through a symlink.
pub(crate) fn private_append(path: &Path) -> io::Result<File> {
    private(OpenOptions::new().append(true).create(true)).open(path)
}
