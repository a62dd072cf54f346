//! A loopback OTLP/HTTP collector for tests, and collectors that fail the ways networks fail.
//! Shared by the test crates with `#[path]`; everything listens on 127.0.0.1 only.

#![allow(dead_code, reason = "each test crate uses part of it")]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An endpoint whose host cannot be resolved. Its first label is longer than DNS allows, so the
/// resolver fails on the spot, without sending a query anywhere.
pub(crate) const UNRESOLVABLE_ENDPOINT: &str = "https://this-label-is-longer-than-sixty-three-characters-so-no-dns-query-is-ever-sent.invalid/v1/traces";

/// How a collector answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Behaviour {
    /// `200 OK`.
    Accept,
    /// This status, with an empty body.
    Status(u16),
    /// Bytes that are no HTTP response, then the connection closes.
    Garbage,
    /// Reads the request and never answers.
    Silent,
    /// Answers `200 OK` after this long.
    Slow(Duration),
}

/// One request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    /// The request line: `POST /v1/traces HTTP/1.1`, or `CONNECT host:443 HTTP/1.1` at a proxy.
    pub(crate) start_line: String,
    /// Header names (lower case) and values.
    pub(crate) headers: Vec<(String, String)>,
    /// The body.
    pub(crate) body: Vec<u8>,
}

impl Request {
    /// A header's value.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// How many spans the body, an OTLP export request, carries.
    pub(crate) fn span_count(&self) -> usize {
        use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
        use prost::Message as _;
        let request = ExportTraceServiceRequest::decode(&*self.body).expect("a valid OTLP request");
        request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|scope| scope.spans.len())
            .sum()
    }
}

/// A collector listening on 127.0.0.1 until the test process ends.
pub(crate) struct Collector {
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Collector {
    /// Starts a collector that answers with `behaviour`.
    pub(crate) fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let recorded = Arc::clone(&recorded);
                std::thread::spawn(move || serve(stream, behaviour, &recorded));
            }
        });
        Collector { port, requests }
    }

    /// `http://127.0.0.1:<port>/v1/traces`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/v1/traces", self.port)
    }

    /// `http://127.0.0.1:<port>`, for use as a proxy.
    pub(crate) fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request received so far.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("not poisoned").clone()
    }
}

/// An endpoint on a loopback port nothing listens on: connections are refused.
pub(crate) fn refused_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v1/traces")
}

fn serve(stream: TcpStream, behaviour: Behaviour, recorded: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        recorded.lock().expect("not poisoned").push(request);
        let stream = reader.get_mut();
        let answer: &[u8] = match behaviour {
            Behaviour::Accept => b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n",
            Behaviour::Status(status) => {
                let answer = format!("HTTP/1.1 {status} Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                let _ = stream.write_all(answer.as_bytes());
                return;
            }
            Behaviour::Garbage => {
                let _ = stream.write_all(b"\x00\xffthis is not HTTP at all\r\n\r\n");
                return;
            }
            Behaviour::Silent => {
                std::thread::sleep(Duration::from_mins(10));
                return;
            }
            Behaviour::Slow(delay) => {
                std::thread::sleep(delay);
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            }
        };
        if stream.write_all(answer).is_err() {
            return;
        }
    }
}

/// Reads one HTTP/1.1 request; `None` at the end of the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut start_line = String::new();
    if reader.read_line(&mut start_line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        start_line: start_line.trim_end().to_owned(),
        headers,
        body,
    })
}
