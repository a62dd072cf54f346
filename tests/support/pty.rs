//! A pseudo-terminal for tests: a program run with it as its terminal, and what the terminal
//! showed.

#![allow(dead_code, reason = "each test crate uses part of it")]

use std::io::Read as _;
use std::os::fd::OwnedFd;
use std::thread::JoinHandle;

/// A pseudo-terminal: the side a program gets, any number of times, and the side that reads
/// what it shows.
pub(crate) struct Pty {
    master: OwnedFd,
    name: String,
}

impl Pty {
    /// A new pseudo-terminal.
    pub(crate) fn open() -> Self {
        use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};

        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
            .expect("a pseudo-terminal");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("the terminal's name");
        Pty {
            master,
            name: name.to_str().expect("a UTF-8 name").to_owned(),
        }
    }

    /// The program's side, for its standard input, output or error; never its controlling
    /// terminal.
    pub(crate) fn terminal(&self) -> std::fs::File {
        use std::os::unix::fs::OpenOptionsExt as _;

        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(i32::try_from(rustix::fs::OFlags::NOCTTY.bits()).unwrap_or(0))
            .open(&self.name)
            .expect("the terminal opens")
    }

    /// Reads what the terminal shows, on a thread, until no process holds the program's side
    /// (hand it to the program first, and keep none of it); line ends as the terminal writes
    /// them (`\r\n`).
    pub(crate) fn shown(self) -> JoinHandle<Vec<u8>> {
        let master = self.master;
        std::thread::spawn(move || {
            let mut master = std::fs::File::from(master);
            let mut shown = Vec::new();
            let mut buffer = [0; 4096];
            // Linux ends with EIO once no process holds the terminal.
            while let Ok(read) = master.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                shown.extend_from_slice(&buffer[..read]);
            }
            shown
        })
    }
}
