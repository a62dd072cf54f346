//! Every limit the receiver keeps, in one place: what a request may cost it in memory and time,
//! and how many it serves at once. Each has a default and a flag of `serve`.

use std::time::Duration;

/// The receiver's limits.
///
/// The body limit is the OpenTelemetry Collector's OTLP/HTTP receiver's default, 20 MiB, so
/// that the largest batches werf's exporter sends (512 spans) fit; the inflated limit is twice
/// the body limit.
///
/// ```
/// let limits = telemetry_receiver::Limits::default();
/// assert_eq!(limits.max_body_bytes, 20 << 20);
/// assert_eq!(limits.max_inflated_bytes, 2 * limits.max_body_bytes);
/// assert_eq!(telemetry_receiver::Limits::with_body_bytes(1 << 20).max_inflated_bytes, 2 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes of a request body as sent (compressed or not): more is refused with 413.
    pub max_body_bytes: usize,
    /// The most bytes a gzip body may inflate to: inflating stops there, and the request is
    /// refused with 413 (a gzip bomb costs no more than this).
    pub max_inflated_bytes: usize,
    /// The most bytes of bodies held at once while they arrive, all requests together (bodies
    /// are read before a request takes one of the in-flight slots): a body that finds no room
    /// is read through and thrown away, and answered 429.
    pub max_receiving_bytes: usize,
    /// The most spans one request may carry: more is refused with 413 before anything is
    /// decoded (an empty span is two bytes on the wire and hundreds once decoded). werf's
    /// exporter sends at most 512 a request.
    pub max_spans: usize,
    /// The most bytes the attributes of one span (one event) may weigh: a heavier one fails
    /// unread (`event_too_large`), since checking reads it into a document of every value. An
    /// event of werf's weighs a few KB.
    pub max_event_bytes: usize,
    /// The most requests decoded, checked and stored at once; one more is answered 429, so that
    /// memory stays below about this many times the two limits above.
    pub max_in_flight: usize,
    /// The most connections open at once; others wait in the listening socket's backlog. A
    /// connection costs a task and its buffers, a few KB: the bound is high, so that idle
    /// connections an attacker opens cannot fill it (keep `ulimit -n` above it).
    pub max_connections: usize,
    /// The most connections open at once from one address; `None` for no such limit (the
    /// default: a load balancer or a CI provider's NAT is one address for many clients).
    pub max_connections_per_peer: Option<usize>,
    /// How long a connection may take to send a request's whole head, from when it opens or
    /// its previous answer was sent: a connection that stays silent, or sends half a head, is
    /// cut off after this.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body: a client that stalls or trickles
    /// it is cut off after this (408), holding no one else up.
    pub request_timeout: Duration,
}

impl Limits {
    /// How many times the body limit a body may inflate to, unless set otherwise.
    pub const INFLATION: usize = 2;
    /// The listening socket's backlog: connections the kernel holds until they are accepted,
    /// for bursts (std's 128 filled under a flood). Linux caps it at `net.core.somaxconn`.
    pub const BACKLOG: u32 = 4096;

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
            max_receiving_bytes: 256 << 20,
            max_spans: 10_000,
            max_event_bytes: 1 << 20,
            max_in_flight: 16,
            max_connections: 10_000,
            max_connections_per_peer: None,
            header_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
        }
    }
}
