//! What serving needs, shared by every request: the contract, the store, the limits, the counts,
//! and the slots that bound the work of requests in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Semaphore;

use crate::accept::contract::Contract;
use crate::serve::counts::SharedCounts;
use crate::serve::limits::Limits;
use crate::store::Store;

/// What the server needs, shared by every request.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) contract: Arc<Contract>,
    /// Where accepted events and failures go; `None` to decode and check only (benchmarks).
    pub(crate) store: Option<Store>,
    pub(crate) limits: Limits,
    /// Whether events are checked against the contract (off for benchmarks only).
    pub(crate) validate: bool,
    pub(crate) counts: Arc<SharedCounts>,
    /// The slots that bound decoding, checking and storing.
    pub(crate) in_flight: Semaphore,
    /// Requests whose body is being read.
    receiving: AtomicU64,
    /// Room for the bodies being read, in KiB.
    pub(crate) receiving_room: Semaphore,
}

impl State {
    pub(crate) fn new(
        contract: Arc<Contract>,
        store: Option<Store>,
        limits: Limits,
        validate: bool,
        counts: Arc<SharedCounts>,
    ) -> Self {
        State {
            in_flight: Semaphore::new(limits.max_in_flight.max(1)),
            contract,
            store,
            limits,
            validate,
            counts,
            receiving: AtomicU64::new(0),
            receiving_room: Semaphore::new(
                (limits.max_receiving_bytes >> 10).clamp(1, Semaphore::MAX_PERMITS),
            ),
        }
    }

    /// Counts a body being read, until the guard returned is dropped.
    pub(crate) fn receiving(&self) -> Receiving<'_> {
        self.receiving.fetch_add(1, Ordering::Relaxed);
        Receiving(&self.receiving)
    }

    /// The counts now, with the requests being read and handled.
    pub(crate) fn status(&self) -> crate::serve::counts::Counts {
        let mut counts = self.counts.snapshot();
        let free = self.in_flight.available_permits();
        counts.in_flight = self.limits.max_in_flight.max(1).saturating_sub(free) as u64;
        counts.receiving = self.receiving.load(Ordering::Relaxed);
        counts
    }
}

/// A body being read.
#[derive(Debug)]
pub(crate) struct Receiving<'a>(&'a AtomicU64);

impl Drop for Receiving<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
