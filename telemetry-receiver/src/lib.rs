#![doc = include_str!("../README.md")]
//!
//! ## How the crate is built
//!
//! One direction of flow, a module for each step:
//!
//! ```text
//! HTTP request ─▶ decode (limits, inflate, spans counted, protobuf | JSON) ─▶ spans of the program
//!             ─▶ envelope (the runtime's mapping, inverted) ─▶ check (the stream schema)
//!             ─▶ store (events/ | failed/, one fsync per group of requests) ─▶ answer
//! ```
//!
//! Its rooms: `decode/` (the body into spans: gzip, deflate or zstd inflated within a limit,
//! spans counted before they are decoded, protobuf, OTLP/JSON); `accept/` (each span into its
//! envelope, checked against the [`Contract`], the schemas; an outcome for every span: stored,
//! failed or ignored; [`FailureRecord`], what is kept of an event that failed); `store/` (the
//! files, whole lines only, the folder's locks, [`Retention`] and [`forget`]); `serve/` (the
//! connection layer, one export's pipeline, its [`Limits`], the [`Counts`], and [`Running`], a
//! receiver on a thread of its own); `report/` (the live check's [`Report`]; [`replay`]). The
//! live check is the same flow with a [`Report`] at the end; the offline check
//! ([`check_lines`], [`check_reader`]) enters at "check" with the lines of a log file;
//! [`replay`] sends envelopes (a log file's, stored ones, kept failures) to a receiver again.

mod accept;
mod day;
mod decode;
mod error;
mod report;
mod serve;
mod store;

use std::net::SocketAddr;
use std::path::Path;

pub use accept::contract::Contract;
pub use accept::failure::{FAILED_EVENT_SCHEMA, FailureKind, FailureRecord, SchemaError};
pub use error::Error;
pub use report::check::{Report, check_lines, check_reader};
pub use report::replay::{Replayed, replay};
pub use serve::counts::{Counts, Refused, VersionCounts};
pub use serve::limits::Limits;
pub use serve::running::{Options, Running};
pub use store::forget::{Forgotten, Ids, forget};
pub use store::retention::Retention;

/// A receiver on a free loopback port, storing into a temporary folder, for the length of a
/// check: point a program at [`endpoint`](Self::endpoint), run it, then [`finish`](Self::finish)
/// for the [`Report`].
#[derive(Debug)]
pub struct LiveCheck {
    running: Running,
    data: tempfile::TempDir,
}

impl LiveCheck {
    /// Starts a receiver checking against the generated schemas in `schemas` (the folder
    /// holding `telemetry.schema.json` and `catalogue.json`).
    ///
    /// # Errors
    ///
    /// When the schemas cannot be read, or the receiver cannot start.
    pub fn start(schemas: impl AsRef<Path>) -> Result<Self, Error> {
        Self::with_options(
            schemas.as_ref(),
            &Options {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                ..Options::default()
            },
        )
    }

    /// [`start`](Self::start), with `options` (a loopback `listen` address, port 0 for a free
    /// one; `--span-name`s).
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn with_options(schemas: &Path, options: &Options) -> Result<Self, Error> {
        let data = tempfile::tempdir()
            .map_err(|error| Error::new(format!("cannot make a temporary folder: {error}")))?;
        let running = Running::start(schemas, data.path(), options)?;
        Ok(LiveCheck { running, data })
    }

    /// Where the program sends its events: `http://127.0.0.1:PORT/v1/traces`.
    pub fn endpoint(&self) -> String {
        self.running.endpoint()
    }

    /// Stops the receiver, once the program has exited (it waits for its events to be
    /// acknowledged before it does), and reports.
    ///
    /// # Errors
    ///
    /// When what was stored cannot be read back.
    pub fn finish(self) -> Result<Report, Error> {
        let LiveCheck { running, data } = self;
        let contract = running.shared_contract();
        let counts = running.stop();
        let (events, failures) = report::check::read_data(data.path())?;
        Ok(Report::new(
            &contract,
            counts,
            failures,
            events.iter().map(String::as_str),
        ))
    }
}
