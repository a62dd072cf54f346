//! Time as the runtime's threads share it: the wall clock events are stamped with, and the
//! deadlines shutdown sets.

use std::time::{Duration, Instant, SystemTime};

/// `budget` from now; far in the future when that is past what `Instant` holds.
pub(crate) fn deadline_after(budget: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(budget)
        .or_else(|| now.checked_add(Duration::from_hours(8_760)))
        .unwrap_or(now)
}

/// Milliseconds since the Unix epoch; 0 for a clock set before 1970.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}
