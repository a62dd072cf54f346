//! What the sender and the transports' clients share: how a request ended, who makes it, and
//! the proxy's URL as a client takes it.

// Built without a transport, no request is ever made.
#![cfg_attr(not(any(feature = "rustls", feature = "curl")), allow(dead_code))]

use super::super::proxy::Route;

/// Who makes the requests, as the collector's logs show it.
pub(super) const USER_AGENT: &str = concat!("telemetry-core/", env!("CARGO_PKG_VERSION"));

/// What became of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The collector answered with this HTTP status.
    Answered(u16),
    /// No answer in the time given; says what happened.
    TimedOut(String),
    /// No answer; says why.
    Failed(String),
}

/// The proxy's URL as a client is given it: SOCKS5 hands the host name to the proxy, as Go
/// does (`socks5h`).
pub(super) fn proxy_url(route: &Route) -> Option<String> {
    let Route::Proxy(proxy) = route else {
        return None;
    };
    Some(match proxy.url().split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("socks5") => {
            format!("socks5h://{rest}")
        }
        _ => proxy.url().to_owned(),
    })
}
