//! The sender thread: one request at a time, never retried, through the transport the program
//! was built with; every failure recorded for the sink to report.

// Built without a transport, `Transport` has no value, and nothing here runs.
#![cfg_attr(
    not(any(feature = "rustls", feature = "curl")),
    allow(unused_variables, unreachable_code, dead_code)
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::super::proxy::{self, Route};
use super::super::queue::{self, Receiver};
use super::{Failures, OtlpConfig, Transport};

/// One request for the sender thread.
#[derive(Debug)]
pub(super) struct Job {
    pub(super) body: Vec<u8>,
    pub(super) spans: usize,
    /// At shutdown: the request must be done by then.
    pub(super) deadline: Option<Instant>,
    /// Signalled when the job is done.
    pub(super) done: Option<queue::Sender<()>>,
}

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

/// Whether `transport` can honour `config` (the proxy as its client reads it, an endpoint it can
/// send to); says why not.
pub(super) fn check(transport: Transport, config: &OtlpConfig) -> Result<(), String> {
    match transport {
        #[cfg(feature = "rustls")]
        Transport::Rustls => super::in_process::check(&config.route),
        #[cfg(feature = "curl")]
        Transport::Curl => super::curl::check(&config.endpoint),
    }
}

/// The client of the transport the program was built with.
enum Client {
    #[cfg(feature = "rustls")]
    InProcess(super::in_process::Client),
    #[cfg(feature = "curl")]
    Curl(super::curl::Client),
}

impl Client {
    fn new(transport: Transport, route: &Route) -> Self {
        match transport {
            #[cfg(feature = "rustls")]
            Transport::Rustls => Client::InProcess(super::in_process::Client::new(route)),
            #[cfg(feature = "curl")]
            Transport::Curl => Client::Curl(super::curl::Client::new(route)),
        }
    }

    fn post(&self, endpoint: &str, body: &[u8], timeout: Duration) -> Outcome {
        match *self {
            #[cfg(feature = "rustls")]
            Client::InProcess(ref client) => client.post(endpoint, body, timeout),
            #[cfg(feature = "curl")]
            Client::Curl(ref client) => client.post(endpoint, body, timeout),
        }
    }
}

/// The sender thread's state.
pub(super) struct Sender {
    pub(super) config: OtlpConfig,
    pub(super) transport: Transport,
    /// The endpoint as diagnostics show it.
    pub(super) shown_endpoint: String,
    pub(super) failures: Arc<Failures>,
    pub(super) in_flight: Arc<AtomicUsize>,
}

impl Sender {
    pub(super) fn run(self, inbox: &Receiver<Job>) {
        // Built here, not in the host program's thread: setting up TLS takes a moment.
        let client = Client::new(self.transport, &self.config.route);
        while let Ok(job) = inbox.recv() {
            if job.spans > 0 {
                self.send(&client, &job);
            }
            self.in_flight.fetch_sub(job.spans, Ordering::AcqRel);
            if let Some(done) = job.done {
                let _ = done.try_send(());
            }
        }
    }

    fn send(&self, client: &Client, job: &Job) {
        let endpoint = &self.shown_endpoint;
        let (timeout, when) = match job.deadline {
            Some(deadline) => (
                deadline.saturating_duration_since(Instant::now()),
                " before the shutdown deadline",
            ),
            None => (self.config.request_timeout, ""),
        };
        if timeout.is_zero() {
            return self.failures.record(format!(
                "{} event(s) not delivered to {endpoint}{when}: no time was left",
                job.spans
            ));
        }
        let spans = job.spans;
        match client.post(&self.config.endpoint, &job.body, timeout) {
            Outcome::Answered(status) if (200..300).contains(&status) => {}
            Outcome::Answered(status) => self.failures.record(format!(
                "{spans} event(s) not accepted by {endpoint}: HTTP {status}"
            )),
            Outcome::TimedOut(error) => self.failures.record(format!(
                "{spans} event(s) not delivered to {endpoint}{when}: {}",
                self.without_secrets(&error)
            )),
            Outcome::Failed(error) => self.failures.record(format!(
                "{spans} event(s) not delivered to {endpoint}: {}",
                self.without_secrets(&error)
            )),
        }
    }

    /// `text` without the user names and passwords of the endpoint's and the proxy's URLs.
    fn without_secrets(&self, text: &str) -> String {
        let mut text = text.to_owned();
        let proxy_url = match &self.config.route {
            Route::Proxy(proxy) => Some(proxy.url()),
            Route::Direct | Route::Refused(_) => None,
        };
        for url in [Some(self.config.endpoint.as_str()), proxy_url]
            .into_iter()
            .flatten()
        {
            if url != proxy::redact(url) {
                text = text.replace(url, &proxy::redact(url));
                if let Some(credentials) = url
                    .split_once("://")
                    .map_or(url, |(_, rest)| rest)
                    .split_once('@')
                    .map(|(credentials, _)| credentials)
                {
                    text = text.replace(credentials, "***");
                }
            }
        }
        text
    }
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
