//! Requests made in the program's own process, with ureq and rustls (the `rustls` feature): no
//! other program needed, at the build cost BENCHMARKS.md gives.

use std::time::Duration;

use super::super::proxy::Route;
use super::request::{Outcome, USER_AGENT, proxy_url};

/// A ureq agent that never follows a redirect, never reads the environment's proxies, and
/// hands every status back.
pub(super) struct Client {
    agent: ureq::Agent,
}

/// Whether ureq can use the proxy `route` names: a setting it cannot honour must not turn into a
/// direct connection.
pub(super) fn check(route: &Route) -> Result<(), String> {
    match (route, proxy_url(route)) {
        (Route::Proxy(proxy), Some(url)) if ureq::Proxy::new(&url).is_err() => {
            Err(format!("the proxy {proxy} is not a URL; nothing is sent"))
        }
        _ => Ok(()),
    }
}

impl Client {
    pub(super) fn new(route: &Route) -> Self {
        // The proxy is always set, `None` included: ureq would otherwise read the environment
        // itself. `check` made sure that ureq reads the URL.
        let proxy = proxy_url(route).and_then(|url| ureq::Proxy::new(&url).ok());
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(USER_AGENT)
            .proxy(proxy);
        Client {
            agent: ureq::Agent::new_with_config(config.build()),
        }
    }

    pub(super) fn post(&self, endpoint: &str, body: &[u8], timeout: Duration) -> Outcome {
        let response = self
            .agent
            .post(endpoint)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .header("Content-Type", "application/x-protobuf")
            .send(body);
        match response {
            Ok(response) => {
                let status = response.status().as_u16();
                if response.status().is_success() {
                    // Read the (small) answer so that the connection can be reused.
                    let _ = response
                        .into_body()
                        .with_config()
                        .limit(64 * 1024)
                        .read_to_vec();
                }
                Outcome::Answered(status)
            }
            Err(error @ ureq::Error::Timeout(_)) => Outcome::TimedOut(error.to_string()),
            Err(error) => Outcome::Failed(error.to_string()),
        }
    }
}
