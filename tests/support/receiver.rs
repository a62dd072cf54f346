//! The receiver as a process, with werf's committed schemas, a data folder of its own and a
//! watchdog; clients that send OTLP as werf's exporter does; and the committed example payloads.

#![allow(dead_code, unreachable_pub, reason = "each test file uses part of it")]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message as _;
use serde_json::Value;
use serde_json::value::RawValue;

/// How long anything a test waits for may take before the test calls it hung: far beyond what
/// it needs, even on a loaded machine.
pub const WATCHDOG: Duration = Duration::from_mins(1);

/// werf's span name.
pub const SPAN_NAME: &str = "telemetry.werf.io";

/// The repository's committed schemas: werf's.
pub fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

/// The committed example payloads, each as one compact line in wire order.
pub fn examples() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| compact(&std::fs::read_to_string(file).unwrap()))
        .collect()
}

/// JSON on one line, as `serde_json::to_string` (and Go's `json.Marshal`) write it: white space
/// outside strings left out, everything else as it was.
pub fn compact(json: &str) -> String {
    let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !c.is_whitespace() {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// The attributes of werf's span of the envelope `line`.
pub fn attributes(line: &str) -> Vec<KeyValue> {
    #[derive(serde::Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        attributes: &'a RawValue,
        #[serde(rename = "eventData", borrow)]
        event_data: &'a RawValue,
    }
    let value: Value = serde_json::from_str(line).unwrap();
    let raw: Raw<'_> = serde_json::from_str(line).unwrap();
    let string = |key: &str| Any::StringValue(value[key].as_str().unwrap().to_owned());
    [
        ("ts", Any::IntValue(value["ts"].as_i64().unwrap())),
        ("executionID", string("executionID")),
        ("userID", string("userID")),
        ("projectID", string("projectID")),
        ("command", string("command")),
        ("eventType", string("eventType")),
        (
            "eventData",
            Any::StringValue(raw.event_data.get().to_owned()),
        ),
        (
            "attributes",
            Any::StringValue(raw.attributes.get().to_owned()),
        ),
        (
            "schemaVersion",
            Any::IntValue(value["schemaVersion"].as_i64().unwrap()),
        ),
    ]
    .into_iter()
    .map(|(key, value)| attribute(key, value))
    .collect()
}

/// One attribute.
pub fn attribute(key: &str, value: Any) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

/// A span named `name` with `attributes`.
pub fn span(name: &str, attributes: Vec<KeyValue>) -> Span {
    Span {
        trace_id: vec![0x5b; 16],
        span_id: vec![0xee; 8],
        name: name.into(),
        kind: 1,
        start_time_unix_nano: 1_658_231_825_280_000_000,
        end_time_unix_nano: 1_658_231_825_280_000_000,
        attributes,
        ..Span::default()
    }
}

/// A request of `spans`, as werf's exporter sends them: one resource, one scope.
pub fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: None,
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: SPAN_NAME.into(),
                    ..InstrumentationScope::default()
                }),
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

/// The werf spans of envelope `lines`.
pub fn werf_spans(lines: &[String]) -> Vec<Span> {
    lines
        .iter()
        .map(|line| span(SPAN_NAME, attributes(line)))
        .collect()
}

/// `bytes`, gzipped.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// What a request got back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub allow: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The answer to a protobuf export.
    pub fn export(&self) -> ExportTraceServiceResponse {
        ExportTraceServiceResponse::decode(&self.body[..]).unwrap()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A client that keeps its connections alive and reads every answer, 4xx included.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(WATCHDOG))
        .build()
        .into()
}

/// A receiver process.
pub struct Receiver {
    child: Child,
    stdout: BufReader<ChildStdout>,
    pub address: String,
    pub data: tempfile::TempDir,
    agent: ureq::Agent,
}

impl Receiver {
    /// `telemetry-receiver serve` with werf's schemas, a data folder of its own, a free port and
    /// `args`.
    pub fn start(args: &[&str]) -> Self {
        Self::start_with(&schemas(), args)
    }

    /// [`start`](Self::start) with the schemas in `schemas`.
    pub fn start_with(schemas: &Path, args: &[&str]) -> Self {
        Self::start_in(schemas, tempfile::tempdir().unwrap(), args)
    }

    /// [`start_with`](Self::start_with), storing into `data`.
    pub fn start_in(schemas: &Path, data: tempfile::TempDir, args: &[&str]) -> Self {
        let mut child = Command::new(telemetry_tests::receiver())
            .arg("serve")
            .arg("--schemas")
            .arg(schemas)
            .arg("--data")
            .arg(data.path())
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let address = first
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("the first line: {first:?}"))
            .to_owned();
        Receiver {
            child,
            stdout,
            address,
            data,
            agent: agent(),
        }
    }

    /// The most memory the process has held resident so far, in bytes (`VmHWM`).
    pub fn peak_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status
            .lines()
            .find(|line| line.starts_with("VmHWM:"))
            .unwrap();
        let kib: u64 = line
            .trim_start_matches("VmHWM:")
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .unwrap();
        kib * 1024
    }

    /// `http://ADDRESS/v1/traces`.
    pub fn url(&self) -> String {
        format!("http://{}/v1/traces", self.address)
    }

    /// `POST /v1/traces` with `body`, its `Content-Type` and perhaps `Content-Encoding`.
    pub fn post(&self, content_type: &str, encoding: Option<&str>, body: &[u8]) -> Answer {
        post(&self.agent, &self.url(), content_type, encoding, body)
    }

    /// Exports `spans` as protobuf.
    pub fn export(&self, spans: Vec<Span>) -> Answer {
        self.export_body(&request(spans).encode_to_vec())
    }

    /// Exports an encoded `ExportTraceServiceRequest`.
    pub fn export_body(&self, body: &[u8]) -> Answer {
        self.post("application/x-protobuf", None, body)
    }

    /// `GET /status`.
    pub fn status(&self) -> Value {
        let mut response = self
            .agent
            .get(format!("http://{}/status", self.address))
            .call()
            .unwrap();
        serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap()
    }

    /// Waits until `/status` says `count` requests are being handled.
    pub fn wait_in_flight(&self, count: u64) {
        self.wait_status("inFlight", count);
    }

    /// Waits until `/status` says the bodies of `count` requests are being read.
    pub fn wait_receiving(&self, count: u64) {
        self.wait_status("receiving", count);
    }

    /// Waits until `/status` says `count` under `key`.
    fn wait_status(&self, key: &str, count: u64) {
        let started = Instant::now();
        while self.status()[key] != count {
            assert!(started.elapsed() < WATCHDOG, "never {count} {key}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every line stored under `folder` (`events` or `failed`), files in order of their days.
    pub fn lines(&self, folder: &str) -> Vec<String> {
        read_lines(&self.data.path().join(folder))
    }

    /// Every failure record, parsed.
    pub fn failures(&self) -> Vec<Value> {
        self.lines("failed")
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// Sends SIGTERM; waits for the process; returns its status, what it printed after its
    /// first line, and its data folder.
    pub fn terminate(mut self) -> (ExitStatus, String, tempfile::TempDir) {
        signal(&self.child, libc::SIGTERM);
        let status = wait(&mut self.child);
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        let data = std::mem::replace(&mut self.data, tempfile::tempdir().unwrap());
        (status, rest, data)
    }

    /// Kills the process with SIGKILL, at once.
    pub fn kill_9(mut self) -> tempfile::TempDir {
        signal(&self.child, libc::SIGKILL);
        wait(&mut self.child);
        let data = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.data, data)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `POST` to `url` through `agent`.
pub fn post(
    agent: &ureq::Agent,
    url: &str,
    content_type: &str,
    encoding: Option<&str>,
    body: &[u8],
) -> Answer {
    let mut request = agent.post(url).header("Content-Type", content_type);
    if let Some(encoding) = encoding {
        request = request.header("Content-Encoding", encoding);
    }
    let mut response = request.send(body).unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    Answer {
        status: response.status().as_u16(),
        content_type: header("content-type").unwrap_or_default(),
        allow: header("allow"),
        body: response.body_mut().read_to_vec().unwrap(),
    }
}

/// Today's UTC day, `YYYY-MM-DD`, as the store names its files.
pub fn today() -> String {
    let output = Command::new("date").args(["-u", "+%F"]).output().unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Every line of every file in `folder`, files sorted by name.
pub fn read_lines(folder: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.map(|entry| entry.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .flat_map(|file| {
            std::fs::read_to_string(file)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Writes `bytes` on a fresh connection to `address`, then reads what comes back until the
/// server closes it (or the watchdog).
pub fn raw(address: &str, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(WATCHDOG)).unwrap();
    stream.write_all(bytes).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn signal(child: &Child, signal: i32) {
    let pid = i32::try_from(child.id()).unwrap();
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait(child: &mut Child) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < WATCHDOG, "the receiver did not stop");
        std::thread::sleep(Duration::from_millis(10));
    }
}
