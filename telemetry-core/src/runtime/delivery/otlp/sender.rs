//! The sender thread: one request at a time, never retried, through the transport the program
//! was built with; every failure recorded for the sink to report.

// Built without a transport, `Transport` has no value, and nothing here runs.
#![cfg_attr(
    not(any(feature = "rustls", feature = "curl")),
    allow(unused_variables, unreachable_code, dead_code)
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::super::proxy::{self, Route};
use super::super::queue::{self, Receiver};
use super::super::sink::SinkError;
use super::super::transport::Transport;
use super::request::Outcome;

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

/// Failures of requests, recorded by the sender thread and reported by the sink.
#[derive(Debug, Default)]
pub(super) struct Failures(Mutex<Vec<String>>);

impl Failures {
    pub(super) fn record(&self, message: String) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message);
    }

    /// Every failure since the last call, as one error.
    pub(super) fn take(&self) -> Result<(), SinkError> {
        let failures = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        if failures.is_empty() {
            Ok(())
        } else {
            Err(SinkError::new(failures.join("; ")))
        }
    }
}

/// Whether `transport` can honour `config` (the proxy as its client reads it, an endpoint it can
/// send to); says why not.
#[cfg_attr(
    not(all(feature = "rustls", feature = "curl")),
    allow(unused_variables, reason = "each transport reads one of them")
)]
pub(super) fn check(transport: Transport, endpoint: &str, route: &Route) -> Result<(), String> {
    match transport {
        #[cfg(feature = "rustls")]
        Transport::Rustls => super::in_process::check(route),
        #[cfg(feature = "curl")]
        Transport::Curl => super::curl::check(endpoint),
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
    /// The endpoint, as requests go to it.
    pub(super) endpoint: String,
    /// How requests go out (see [`proxy::route`]).
    pub(super) route: Route,
    /// How long one request may take while the program runs; at shutdown, the deadline decides.
    pub(super) request_timeout: Duration,
    pub(super) transport: Transport,
    /// The endpoint as diagnostics show it.
    pub(super) shown_endpoint: String,
    pub(super) failures: Arc<Failures>,
    pub(super) in_flight: Arc<AtomicUsize>,
}

impl Sender {
    pub(super) fn run(self, inbox: &Receiver<Job>) {
        // Built here, not in the host program's thread: setting up TLS takes a moment.
        let client = Client::new(self.transport, &self.route);
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
            None => (self.request_timeout, ""),
        };
        if timeout.is_zero() {
            return self.failures.record(format!(
                "{} event(s) not delivered to {endpoint}{when}: no time was left",
                job.spans
            ));
        }
        let spans = job.spans;
        match client.post(&self.endpoint, &job.body, timeout) {
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
        let proxy_url = match &self.route {
            Route::Proxy(proxy) => Some(proxy.url()),
            Route::Direct | Route::Refused(_) => None,
        };
        for url in [Some(self.endpoint.as_str()), proxy_url]
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
