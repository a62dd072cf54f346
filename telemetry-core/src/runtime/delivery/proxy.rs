//! Which proxy requests to the endpoint go through, decided once, from the environment the
//! runtime started with, by the rules of Go's `http.ProxyFromEnvironment` (which werf's
//! exporter uses):
//!
//! - `HTTPS_PROXY` (or `https_proxy`) for an `https://` endpoint, `HTTP_PROXY` (or
//!   `http_proxy`) for an `http://` one, upper case first; `ALL_PROXY` is not read;
//! - `localhost` and loopback addresses are never proxied;
//! - `NO_PROXY` (or `no_proxy`): `*`, IP addresses, CIDR ranges, and domain names, which cover
//!   their subdomains (`.example.com` only the subdomains); an entry with a port only matches
//!   that port;
//! - a proxy without a scheme is `http://`; `http`, `https`, `socks5` and `socks5h` proxies are
//!   used (SOCKS5 hands the host name to the proxy, as Go does); any other scheme, or a value
//!   that is not a URL, means nothing is sent: a broken proxy setting must not turn into a
//!   direct connection the user did not ask for;
//! - in a CGI process (`REQUEST_METHOD` set), `HTTP_PROXY` may come from a request header, so
//!   using it is refused.
//!
//! ```
//! use telemetry_core::proxy::{Route, route};
//!
//! let vars = |name: &str| match name {
//!     "HTTPS_PROXY" => Some("proxy.corp:3128"),
//!     "NO_PROXY" => Some("internal.example"),
//!     _ => None,
//! };
//! let Route::Proxy(proxy) = route("https://telemetry.werf.io/v1/traces", vars) else { panic!() };
//! assert_eq!(proxy.url(), "http://proxy.corp:3128");
//! assert_eq!(route("https://ci.internal.example/v1/traces", vars), Route::Direct);
//! assert_eq!(route("http://127.0.0.1:4318/v1/traces", vars), Route::Direct);
//! ```

use std::fmt;
use std::net::IpAddr;

use super::url::{Url, is_loopback};

/// How requests to an endpoint go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Straight to the endpoint.
    Direct,
    /// Through this proxy.
    Proxy(ProxyUrl),
    /// Not at all: the proxy setting cannot be honoured. Says why, secrets left out.
    Refused(String),
}

/// A proxy's URL, with the variable it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    url: String,
    variable: &'static str,
}

impl ProxyUrl {
    /// The URL to connect through, with a scheme; may hold a user name and password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The variable it came from: `HTTPS_PROXY`, `https_proxy`, ...
    pub fn variable(&self) -> &'static str {
        self.variable
    }
}

/// Shows the URL with its user name and password left out.
impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {})", redact(&self.url), self.variable)
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyUrl")
            .field("url", &redact(&self.url))
            .field("variable", &self.variable)
            .finish()
    }
}

/// `url` with any `user:password@` replaced by `***@`: what diagnostics may show of a URL.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((_credentials, host)) => format!("***@{host}"),
        None => authority.to_owned(),
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{authority}{path}"),
        None => format!("{authority}{path}"),
    }
}

/// How requests to `endpoint` go out, given the variables `var` reads (see the
/// [module docs](self)).
pub fn route<'a>(endpoint: &str, var: impl Fn(&str) -> Option<&'a str>) -> Route {
    let Some(url) = Url::parse(endpoint) else {
        return Route::Direct;
    };
    let scheme = url.scheme.to_ascii_lowercase();
    let names: [&'static str; 2] = match scheme.as_str() {
        "https" => ["HTTPS_PROXY", "https_proxy"],
        "http" => ["HTTP_PROXY", "http_proxy"],
        _ => return Route::Direct,
    };
    let Some((variable, value)) = names.into_iter().find_map(|name| {
        var(name)
            .filter(|value| !value.is_empty())
            .map(|value| (name, value))
    }) else {
        return Route::Direct;
    };
    if scheme == "http" && var("REQUEST_METHOD").is_some_and(|method| !method.is_empty()) {
        return Route::Refused(format!(
            "{variable} is not used in a CGI process (REQUEST_METHOD is set), where a request \
             header can set it; nothing is sent"
        ));
    }
    let port = url.port.unwrap_or(if scheme == "https" { 443 } else { 80 });
    let no_proxy = ["NO_PROXY", "no_proxy"]
        .into_iter()
        .find_map(|name| var(name).filter(|value| !value.is_empty()))
        .unwrap_or_default();
    if !use_proxy(url.host, port, no_proxy) {
        return Route::Direct;
    }
    parse_proxy(value, variable)
}

/// A proxy value as Go reads it: without a scheme, `http://`.
fn parse_proxy(value: &str, variable: &'static str) -> Route {
    let url = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    let scheme = url
        .split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase())
        .unwrap_or_default();
    if !matches!(scheme.as_str(), "http" | "https" | "socks5" | "socks5h") {
        return Route::Refused(format!(
            "the proxy {} in {variable} is a `{scheme}` proxy, which is not supported (http, https, \
             socks5 and socks5h are); nothing is sent",
            redact(value)
        ));
    }
    if Url::parse(&url).is_none() {
        return Route::Refused(format!(
            "the proxy {} in {variable} is not a URL; nothing is sent",
            redact(value)
        ));
    }
    Route::Proxy(ProxyUrl { url, variable })
}

/// Go's `useProxy`: whether a request to `host:port` goes through the proxy.
fn use_proxy(host: &str, port: u16, no_proxy: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    if is_loopback(&host) {
        return false;
    }
    !no_proxy
        .split(',')
        .map(|entry| entry.trim().to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .any(|entry| no_proxy_matches(&entry, &host, ip, port))
}

/// Whether one `NO_PROXY` entry exempts `host:port` (`ip` when the host is an address).
fn no_proxy_matches(entry: &str, host: &str, ip: Option<IpAddr>, port: u16) -> bool {
    if entry == "*" {
        return true;
    }
    if let Some((network, prefix)) = entry.split_once('/') {
        return match (network.parse::<IpAddr>(), prefix.parse::<u32>(), ip) {
            (Ok(network), Ok(prefix), Some(ip)) => in_network(ip, network, prefix),
            _ => false,
        };
    }
    let (entry_host, entry_port) = split_host_port(entry);
    let port_matches = entry_port.is_none_or(|entry_port| entry_port == port.to_string());
    if let Ok(entry_ip) = entry_host.parse::<IpAddr>() {
        return ip == Some(entry_ip) && port_matches;
    }
    if entry_host.is_empty() {
        return false;
    }
    let entry_host = entry_host.strip_prefix('*').unwrap_or(entry_host);
    let (suffix, match_host) = if entry_host.starts_with('.') {
        (entry_host.to_owned(), false)
    } else {
        (format!(".{entry_host}"), true)
    };
    let covers = host.ends_with(&suffix) || (match_host && host == entry_host);
    covers && port_matches
}

/// Go's `net.SplitHostPort`, leniently: `host:port` or `[v6]:port` split; anything else (a bare
/// name, a bare IPv6 address) is all host.
fn split_host_port(entry: &str) -> (&str, Option<&str>) {
    if let Some(bracketed) = entry.strip_prefix('[') {
        return match bracketed.split_once(']') {
            Some((host, rest)) => (host, rest.strip_prefix(':')),
            None => (entry, None),
        };
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, Some(port)),
        _ => (entry, None),
    }
}

fn in_network(address: IpAddr, network: IpAddr, prefix: u32) -> bool {
    match (address, network) {
        (IpAddr::V4(address), IpAddr::V4(network)) if prefix <= 32 => {
            let mask = 32_u32
                .checked_sub(prefix)
                .and_then(|shift| u32::MAX.checked_shl(shift))
                .unwrap_or(0);
            u32::from(address) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(address), IpAddr::V6(network)) if prefix <= 128 => {
            let mask = 128_u32
                .checked_sub(prefix)
                .and_then(|shift| u128::MAX.checked_shl(shift))
                .unwrap_or(0);
            u128::from(address) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
