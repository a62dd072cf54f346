//! Every limit the receiver keeps, in one place: what a request may cost it in memory and time,
//! and how many it serves at once. Each has a default and a flag of `serve`.

use std::time::Duration;

/// The receiver's limits.
///
/// The body limit is the OpenTelemetry Collector's OTLP/HTTP receiver's default, 20 MiB, so
/// that the largest batches werf's exporter sends (512 spans) fit; the inflated limit is four
/// times the body limit.
///
/// ```
/// let limits = telemetry_receiver::Limits::default();
/// assert_eq!(limits.max_body_bytes, 20 << 20);
/// assert_eq!(limits.max_inflated_bytes, 4 * limits.max_body_bytes);
/// assert_eq!(telemetry_receiver::Limits::with_body_bytes(1 << 20).max_inflated_bytes, 4 << 20);
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

impl Limits {
    /// How many times the body limit a body may inflate to, unless set otherwise.
    pub const INFLATION: usize = 4;

    /// The default limits, with a body limit of `bytes` and the inflated limit scaled with it
    /// ([`INFLATION`](Self::INFLATION) times).
    pub fn with_body_bytes(bytes: usize) -> Self {
        Limits {
            max_body_bytes: bytes,
            max_inflated_bytes: bytes.saturating_mul(Self::INFLATION),
            ..Limits::default()
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 20 << 20,
            max_inflated_bytes: Self::INFLATION * (20 << 20),
            max_in_flight: 16,
            max_connections: 512,
            request_timeout: Duration::from_secs(10),
        }
    }
}
