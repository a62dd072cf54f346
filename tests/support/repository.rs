//! Hostile files for tests and benchmarks: FIFOs, and git repositories built by hand whose
//! configuration is whatever the caller makes of it.

#![allow(dead_code, reason = "each test crate uses part of it")]

use std::path::Path;

/// A FIFO at `path`, readable and writable by its owner.
pub(crate) fn mkfifo(path: &Path) {
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        path,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
    )
    .expect("a FIFO");
}

/// A git repository whose working tree is `dir`, on branch `main`, its `config` made by
/// `config` (which gets the path to make).
pub(crate) fn repository(dir: &Path, config: impl FnOnce(&Path)) {
    let git = dir.join(".git");
    std::fs::create_dir_all(git.join("objects")).expect("objects/");
    std::fs::create_dir_all(git.join("refs/heads")).expect("refs/");
    std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").expect("HEAD");
    config(&git.join("config"));
}
