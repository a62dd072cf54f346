//! The parts of an absolute URL that the endpoint's and the proxy's checks read (RFC 3986,
//! strictly): parsed here rather than by the HTTP client, because a host program may build
//! without one (the `curl` transport).

use std::net::{IpAddr, Ipv6Addr};

/// An absolute URL, borrowed from its text: `scheme://[userinfo@]host[:port][path]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Url<'a> {
    /// The scheme, as written (compare it without case).
    pub(crate) scheme: &'a str,
    /// `user:password`, if the URL has one.
    pub(crate) userinfo: Option<&'a str>,
    /// The host: a name, an IPv4 address, or an IPv6 address in its brackets.
    pub(crate) host: &'a str,
    /// The port, if the URL has one.
    pub(crate) port: Option<u16>,
}

impl<'a> Url<'a> {
    /// `text` parsed, or `None` when it is not an absolute URL with a host: a space or a control
    /// character anywhere, a host with a character RFC 3986 does not allow, an unclosed or
    /// malformed IPv6 address, a port that is not a number up to 65535.
    pub(crate) fn parse(text: &'a str) -> Option<Self> {
        if text.bytes().any(|byte| byte <= b' ' || byte == 0x7f) {
            return None;
        }
        let (scheme, rest) = text.split_once("://")?;
        let mut scheme_bytes = scheme.bytes();
        if !scheme_bytes
            .next()
            .is_some_and(|byte| byte.is_ascii_alphabetic())
            || !scheme_bytes.all(|byte| byte.is_ascii_alphanumeric() || b"+-.".contains(&byte))
        {
            return None;
        }
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority),
        };
        let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
            let (address, after) = bracketed.split_once(']')?;
            address.parse::<Ipv6Addr>().ok()?;
            let host = host_port.strip_suffix(after)?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':')?)),
            }
        } else {
            match host_port.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            }
        };
        let allowed =
            |byte: u8| byte.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&byte);
        if host.is_empty() || (!host.starts_with('[') && !host.bytes().all(allowed)) {
            return None;
        }
        let port = match port {
            None | Some("") => None,
            Some(port) if port.bytes().all(|byte| byte.is_ascii_digit()) => {
                Some(port.parse::<u16>().ok()?)
            }
            Some(_) => return None,
        };
        Some(Url {
            scheme,
            userinfo,
            host,
            port,
        })
    }
}

/// `localhost`, `127.0.0.0/8` or `::1` (with or without brackets), in any case: the hosts that
/// are never proxied, and the only ones plain `http://` may go to.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::Url;

    #[test]
    fn the_parts_of_urls_as_endpoints_and_proxies_write_them() {
        assert_eq!(
            Url::parse("https://user:secret@telemetry.werf.io:8443/v1/traces?x#y"),
            Some(Url {
                scheme: "https",
                userinfo: Some("user:secret"),
                host: "telemetry.werf.io",
                port: Some(8443),
            })
        );
        let v6 = Url::parse("http://[::1]:4318/v1/traces").unwrap();
        assert_eq!((v6.host, v6.port), ("[::1]", Some(4318)));
        let bare = Url::parse("socks5h://127.0.0.1").unwrap();
        assert_eq!(
            (bare.scheme, bare.host, bare.port),
            ("socks5h", "127.0.0.1", None)
        );
        assert_eq!(Url::parse("http://host:/").unwrap().port, None);
        assert_eq!(Url::parse("https://h/p@q").unwrap().userinfo, None);
    }

    #[test]
    fn what_is_not_an_absolute_url_with_a_host_is_refused() {
        for malformed in [
            "",
            "not a url",
            "/v1/traces",
            "telemetry.werf.io/v1/traces",
            "http://",
            "http:///v1/traces",
            "http://user@",
            "http://[::1",
            "http://[::1]x",
            "http://[nope]:1",
            "http://exa mple:1",
            "http://host:port",
            "http://host:65536",
            "http://host:1:2",
            "http://ho<st/",
            "http://host/\n",
            "1http://host/",
            "ht tp://host/",
        ] {
            assert_eq!(Url::parse(malformed), None, "{malformed:?}");
        }
    }
}
