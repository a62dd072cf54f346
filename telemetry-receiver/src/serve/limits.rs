//! Every limit the receiver keeps, in one place: what a request may cost it in memory and time,
//! and how many it serves at once. Each has a default and a flag of `serve`.

use std::time::Duration;

/// The receiver's limits.
///
/// ```
/// let limits = telemetry_receiver::Limits::default();
/// assert_eq!(limits.max_body_bytes, 4 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes of a request body as sent (compressed or not): more is refused with 413.
    pub max_body_bytes: usize,
    /// The most bytes a gzip body may inflate to: inflating stops there, and the request is
    /// refused with 413 (a gzip bomb costs no more than this).
    pub max_inflated_bytes: usize,
    /// The most requests decoded, checked and stored at once; one more is answered 429, so that
    /// memory stays below about this many times the two limits above.
    pub max_in_flight: usize,
    /// The most connections open at once; others wait in the listening socket's backlog.
    pub max_connections: usize,
    /// How long a client may take to send a request's head, and then its body: a client that
    /// sends half a request and stalls is cut off after this, holding no one else up.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 4 << 20,
            max_inflated_bytes: 16 << 20,
            max_in_flight: 16,
            max_connections: 512,
            request_timeout: Duration::from_secs(10),
        }
    }
}
