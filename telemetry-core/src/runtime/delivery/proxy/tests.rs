//! The proxy rules against Go's, case by case.

#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::collections::HashMap;

use super::{Route, redact, route};

const HTTPS: &str = "https://telemetry.werf.io/v1/traces";

fn decide(endpoint: &str, vars: &[(&str, &str)]) -> Route {
    let vars: HashMap<&str, &str> = vars.iter().copied().collect();
    route(endpoint, |name| vars.get(name).copied())
}

/// The proxy URL chosen, or `None` for a direct connection; panics on a refusal.
fn proxy(endpoint: &str, vars: &[(&str, &str)]) -> Option<String> {
    match decide(endpoint, vars) {
        Route::Direct => None,
        Route::Proxy(proxy) => Some(proxy.url().to_owned()),
        Route::Refused(why) => panic!("refused: {why}"),
    }
}

fn refusal(endpoint: &str, vars: &[(&str, &str)]) -> String {
    match decide(endpoint, vars) {
        Route::Refused(why) => why,
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn the_variable_follows_the_scheme_upper_case_first_and_all_proxy_is_never_read() {
    assert_eq!(proxy(HTTPS, &[]), None);
    assert_eq!(
        proxy(HTTPS, &[("HTTPS_PROXY", "http://proxy:3128")]).as_deref(),
        Some("http://proxy:3128")
    );
    assert_eq!(
        proxy(HTTPS, &[("https_proxy", "http://lower:3128")]).as_deref(),
        Some("http://lower:3128")
    );
    assert_eq!(
        proxy(
            HTTPS,
            &[
                ("HTTPS_PROXY", "http://upper:1"),
                ("https_proxy", "http://lower:1")
            ]
        )
        .as_deref(),
        Some("http://upper:1")
    );
    assert_eq!(
        proxy(
            HTTPS,
            &[("HTTPS_PROXY", ""), ("https_proxy", "http://lower:1")]
        )
        .as_deref(),
        Some("http://lower:1"),
        "an empty value is no value"
    );
    assert_eq!(
        proxy(
            HTTPS,
            &[
                ("HTTP_PROXY", "http://proxy:3128"),
                ("ALL_PROXY", "http://all:1"),
                ("all_proxy", "x")
            ]
        ),
        None,
        "HTTP_PROXY is for http://, ALL_PROXY for nobody"
    );
    assert_eq!(
        proxy(
            "http://telemetry.example/v1/traces",
            &[
                ("HTTPS_PROXY", "http://secure:1"),
                ("HTTP_PROXY", "http://plain:1")
            ]
        )
        .as_deref(),
        Some("http://plain:1")
    );
}

#[test]
fn loopback_is_never_proxied() {
    let vars = [
        ("HTTP_PROXY", "http://proxy:1"),
        ("HTTPS_PROXY", "http://proxy:1"),
    ];
    for endpoint in [
        "http://127.0.0.1:4318/v1/traces",
        "http://127.9.8.7/v1/traces",
        "http://localhost:4318/v1/traces",
        "http://LOCALHOST/v1/traces",
        "https://[::1]:4318/v1/traces",
    ] {
        assert_eq!(proxy(endpoint, &vars), None, "{endpoint}");
    }
    assert!(
        proxy("https://localhost.attacker.example/v1/traces", &vars).is_some(),
        "only localhost itself"
    );
}

#[test]
fn no_proxy_matches_as_go_matches() {
    let exempt = |endpoint: &str, no_proxy: &str| {
        proxy(
            endpoint,
            &[
                ("HTTPS_PROXY", "http://p:1"),
                ("HTTP_PROXY", "http://p:1"),
                ("NO_PROXY", no_proxy),
            ],
        )
        .is_none()
    };
    // A bare domain covers itself and its subdomains; a leading dot (or `*.`) only subdomains.
    assert!(exempt(
        "https://telemetry.example.invalid/v1/traces",
        "example.invalid"
    ));
    assert!(exempt(
        "https://example.invalid/v1/traces",
        "example.invalid"
    ));
    assert!(!exempt(
        "https://notexample.invalid/v1/traces",
        "example.invalid"
    ));
    assert!(exempt("https://x.y.com/", ".y.com"));
    assert!(!exempt("https://y.com/", ".y.com"));
    assert!(exempt("https://x.y.com/", "*.y.com"));
    assert!(!exempt("https://y.com/", "*.y.com"));
    assert!(exempt("https://anything/", "*"));
    assert!(exempt("https://werf.io/", " other.example , WERF.IO "));
    // An entry with a port matches that port only; the endpoint's port defaults by scheme.
    assert!(exempt("https://werf.io/", "werf.io:443"));
    assert!(!exempt("https://werf.io/", "werf.io:80"));
    assert!(exempt("http://werf.io/", "werf.io:80"));
    assert!(exempt("https://werf.io:8443/", "werf.io:8443"));
    // Addresses match exactly, ranges by CIDR, IPv6 too.
    assert!(exempt("https://10.1.2.3/", "10.1.2.3"));
    assert!(!exempt("https://10.1.2.4/", "10.1.2.3"));
    assert!(exempt("https://10.1.2.3/", "10.1.2.3:443"));
    assert!(!exempt("https://10.1.2.3/", "10.1.2.3:80"));
    assert!(exempt("https://10.1.2.3/", "10.0.0.0/8"));
    assert!(!exempt("https://11.1.2.3/", "10.0.0.0/8"));
    assert!(exempt("https://[2001:db8::1]/", "2001:db8::/32"));
    assert!(exempt("https://[2001:db8::1]/", "[2001:db8::1]:443"));
    assert!(exempt("https://[2001:db8::1]/", "2001:db8::1"));
    assert!(!exempt("https://werf.io/", "rf.io"));
    assert!(!exempt("https://werf.io/", ":443"), "no host: ignored");
}

#[test]
fn proxy_values_are_read_as_go_reads_them() {
    assert_eq!(
        proxy(HTTPS, &[("HTTPS_PROXY", "proxy.corp:3128")]).as_deref(),
        Some("http://proxy.corp:3128")
    );
    for supported in [
        "https://proxy:443",
        "socks5://127.0.0.1:1080",
        "socks5h://127.0.0.1:1080",
        "http://user:secret@proxy:3128",
    ] {
        assert_eq!(
            proxy(HTTPS, &[("HTTPS_PROXY", supported)]).as_deref(),
            Some(supported)
        );
    }
    for unsupported in [
        "socks4://127.0.0.1:1080",
        "socks4a://h:1",
        "socks://h:1",
        "ftp://h:21",
    ] {
        let why = refusal(HTTPS, &[("HTTPS_PROXY", unsupported)]);
        assert!(
            why.ends_with(
                "which is not supported (http, https, socks5 and socks5h are); nothing is sent"
            ),
            "{why}"
        );
    }
    for malformed in [
        "http://[::1",
        "http://",
        "http://exa mple:1",
        "http://host:port",
    ] {
        let why = refusal(HTTPS, &[("HTTPS_PROXY", malformed)]);
        assert!(
            why.ends_with("in HTTPS_PROXY is not a URL; nothing is sent"),
            "{malformed}: {why}"
        );
    }
}

#[test]
fn a_cgi_process_never_trusts_http_proxy() {
    let vars = [
        ("HTTP_PROXY", "http://attacker:1"),
        ("REQUEST_METHOD", "GET"),
    ];
    let why = refusal("http://collector.example/v1/traces", &vars);
    assert!(
        why.starts_with("HTTP_PROXY is not used in a CGI process"),
        "{why}"
    );
    assert_eq!(
        proxy(
            HTTPS,
            &[("HTTPS_PROXY", "http://p:1"), ("REQUEST_METHOD", "GET")]
        )
        .as_deref(),
        Some("http://p:1"),
        "HTTPS_PROXY cannot come from a request header"
    );
}

#[test]
fn secrets_never_show() {
    assert_eq!(
        redact("http://user:secret@proxy:3128/x"),
        "http://***@proxy:3128/x"
    );
    assert_eq!(redact("user:secret@proxy:3128"), "***@proxy:3128");
    assert_eq!(
        redact("https://telemetry.example/v1/traces"),
        "https://telemetry.example/v1/traces"
    );
    assert_eq!(
        redact("https://host/path@with-at"),
        "https://host/path@with-at"
    );
    let why = refusal(HTTPS, &[("HTTPS_PROXY", "socks4://user:secret@h:1")]);
    assert!(!why.contains("secret"), "{why}");
    let Route::Proxy(proxy) = decide(HTTPS, &[("HTTPS_PROXY", "http://user:secret@p:1")]) else {
        panic!()
    };
    assert_eq!(proxy.to_string(), "http://***@p:1 (from HTTPS_PROXY)");
    assert!(!format!("{proxy:?}").contains("secret"));
}
