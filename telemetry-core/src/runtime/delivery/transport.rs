//! Which transport makes the requests to the collector: a setting of the program's, among those
//! its features built.

/// How requests reach the collector: one of the transports the program was built with, chosen
/// by `telemetry-core`'s features (BENCHMARKS.md gives what each costs the program's build).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// In the program's own process, with ureq and rustls, and the Mozilla root certificates
    /// built in (the `rustls` feature, on by default): needs nothing of the machine.
    #[cfg(feature = "rustls")]
    Rustls,
    /// The system's `curl` program, one process per request, from the sender thread (the `curl`
    /// feature): builds no HTTP or TLS code into the program, and uses the platform's TLS and
    /// certificate store. Nothing is sent where curl is not installed (it is on Linux
    /// distributions, macOS and Windows 10 and later), nor to an endpoint with a user name or
    /// password, which would be on curl's command line.
    #[cfg(feature = "curl")]
    Curl,
}

impl Transport {
    /// The transport of a program built with `telemetry-core`'s current features: `Rustls`
    /// when it is built, otherwise `Curl`; `None` when neither is, and then events go only to a
    /// log file or a sink of the program's own.
    ///
    /// ```
    /// # #[cfg(feature = "rustls")]
    /// assert_eq!(telemetry_core::otlp::Transport::preferred(), Some(telemetry_core::otlp::Transport::Rustls));
    /// ```
    pub const fn preferred() -> Option<Self> {
        #[cfg(feature = "rustls")]
        return Some(Transport::Rustls);
        #[cfg(all(feature = "curl", not(feature = "rustls")))]
        return Some(Transport::Curl);
        #[cfg(not(any(feature = "curl", feature = "rustls")))]
        return None;
    }
}
