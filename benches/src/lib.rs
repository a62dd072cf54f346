//! The workspace's benchmarks (`cargo bench -p telemetry-benches`), kept out of the published
//! crates so that no tarball carries them, and what several of them share.

#![allow(
    clippy::missing_panics_doc,
    reason = "a benchmark's helper fails it loudly, and says why"
)]

pub mod event_crate;
