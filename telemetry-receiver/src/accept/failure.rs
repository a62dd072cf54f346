//! Failure records: what the receiver keeps of every event it could not accept, in
//! `failed/YYYY-MM-DD.jsonl`, one JSON object a line, described by the JSON Schema this crate
//! ships (`schemas/failed-event.schema.json`, also [`FAILED_EVENT_SCHEMA`]). A record says what
//! failed, gives each schema error with its JSON Pointer, keyword and message, and keeps what was
//! received: the envelope rebuilt from the span when it could be, the span's attributes as they
//! came, or the undecodable body; so that it can be replayed once the schema or the sender is
//! fixed.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The JSON Schema of a failure record.
pub const FAILED_EVENT_SCHEMA: &str = include_str!("../../schemas/failed-event.schema.json");

/// What failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The request body is not OTLP: not protobuf or JSON of an `ExportTraceServiceRequest`, or
    /// said to be gzip and not.
    Undecodable,
    /// A span of the program lacks one of the nine attributes.
    AttributeMissing,
    /// An attribute is not of its type (`ts` and `schemaVersion` integers, the others strings).
    AttributeType,
    /// `eventData` or `attributes` is not a JSON document.
    NotJson,
    /// The catalogue records no such version of such an event.
    UnknownEventVersion,
    /// The envelope breaks its version's schema.
    SchemaViolation,
    /// The span's attributes weigh more than
    /// [`Limits::max_event_bytes`](crate::Limits::max_event_bytes): the receiver does not read
    /// them into a document to check (a megabyte of `[1,1,...]` is millions of values).
    EventTooLarge,
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailureKind::Undecodable => "undecodable",
            FailureKind::AttributeMissing => "attribute_missing",
            FailureKind::AttributeType => "attribute_type",
            FailureKind::NotJson => "not_json",
            FailureKind::UnknownEventVersion => "unknown_event_version",
            FailureKind::SchemaViolation => "schema_violation",
            FailureKind::EventTooLarge => "event_too_large",
        })
    }
}

/// One error of a schema violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaError {
    /// Where in the envelope, a JSON Pointer: `/eventData/imagesCount`.
    pub pointer: String,
    /// The schema keyword that failed: `type`, `maximum`, `required`, ...
    pub keyword: String,
    /// What the validator said.
    pub message: String,
}

/// An event the receiver could not accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailureRecord {
    /// When it was received, in milliseconds since the Unix epoch.
    pub received_at: u64,
    /// What failed.
    pub failure: FailureKind,
    /// What failed, in words.
    pub message: String,
    /// The schema's errors, for a schema violation; empty otherwise.
    pub errors: Vec<SchemaError>,
    /// The span's `eventType`, when it had one.
    pub event_type: String,
    /// The span's `schemaVersion`, when it had one; 0 otherwise.
    pub schema_version: i64,
    /// The span's name; empty for an undecodable body.
    pub span_name: String,
    /// The envelope rebuilt from the span (one JSON line), when it could be; empty otherwise.
    pub envelope: String,
    /// The span's attributes as received: strings as they are, other values as JSON.
    pub attributes: BTreeMap<String, String>,
    /// An undecodable body, in base64; empty otherwise.
    pub body: String,
}

impl FailureRecord {
    /// A record of `failure`, received at `received_at`, with nothing of what was received yet.
    pub(crate) fn new(received_at: u64, failure: FailureKind, message: impl Into<String>) -> Self {
        FailureRecord {
            received_at,
            failure,
            message: message.into(),
            errors: Vec::new(),
            event_type: String::new(),
            schema_version: 0,
            span_name: String::new(),
            envelope: String::new(),
            attributes: BTreeMap::new(),
            body: String::new(),
        }
    }

    /// `<EventType>.v<N>`, as counts and reports name versions; `(none)` when it had none.
    pub fn version_key(&self) -> String {
        crate::serve::counts::version_key(&self.event_type, self.schema_version)
    }

    /// The record as one JSON line, what was received kept whole up to
    /// [`MAX_KEPT_BYTES`](Self::MAX_KEPT_BYTES) a value, and past that replaced by its length and
    /// SHA-256 ([`kept`]): a failure costs the disk no more than a bounded line, whatever came.
    pub(crate) fn line(&self) -> String {
        let bounded = Bounded {
            received_at: self.received_at,
            failure: self.failure,
            message: kept(&self.message),
            errors: &self.errors,
            event_type: kept(&self.event_type),
            schema_version: self.schema_version,
            span_name: kept(&self.span_name),
            envelope: kept(&self.envelope),
            attributes: self
                .attributes
                .iter()
                .map(|(key, value)| (kept(key), kept(value)))
                .collect(),
            body: kept(&self.body),
        };
        // Strings, integers and maps of strings always serialise.
        serde_json::to_string(&bounded).unwrap_or_default()
    }

    /// The most bytes of one received value (the envelope, an attribute, the body) a record's
    /// line keeps whole: an event of werf's weighs a few KB.
    pub const MAX_KEPT_BYTES: usize = 64 << 10;
}

/// A record's line, its received values bounded.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bounded<'a> {
    received_at: u64,
    failure: FailureKind,
    message: Cow<'a, str>,
    errors: &'a [SchemaError],
    event_type: Cow<'a, str>,
    schema_version: i64,
    span_name: Cow<'a, str>,
    envelope: Cow<'a, str>,
    attributes: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
    body: Cow<'a, str>,
}

/// `text`, or when longer than [`FailureRecord::MAX_KEPT_BYTES`], what replaces it: its
/// length and SHA-256, enough to tell it from others and to match it against a sender's copy.
pub(crate) fn kept(text: &str) -> Cow<'_, str> {
    if text.len() <= FailureRecord::MAX_KEPT_BYTES {
        return Cow::Borrowed(text);
    }
    let hex = sha256_hex(text.as_bytes());
    Cow::Owned(format!("(cut: {} bytes, sha256 {hex})", text.len()))
}

/// `text` cut to at most `max` characters; when cut, it says how long it was.
pub(crate) fn capped(text: &str, max: usize) -> String {
    let length = text.chars().count();
    if length <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}… (cut: {length} characters in all)")
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest.as_ref() {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    hex
}

/// `bytes` in standard base64, with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let [a, b, c] = [0, 1, 2].map(|i| chunk.get(i).copied().unwrap_or(0));
        let n = (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c);
        for (position, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if position <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{FAILED_EVENT_SCHEMA, FailureKind, FailureRecord, SchemaError, base64, capped};

    #[test]
    fn a_records_line_keeps_long_values_as_their_length_and_digest() {
        let mut record = FailureRecord::new(1, FailureKind::Undecodable, "not protobuf");
        record.body = "A".repeat(FailureRecord::MAX_KEPT_BYTES + 1);
        record.envelope = "{}".into();
        let line = record.line();
        assert!(line.len() < 1024, "{} bytes", line.len());
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["envelope"], "{}");
        let body = value["body"].as_str().unwrap();
        assert!(body.starts_with("(cut: 65537 bytes, sha256 "), "{body}");
        assert_eq!(body.len(), "(cut: 65537 bytes, sha256 )".len() + 64);
        record.body = "A".repeat(FailureRecord::MAX_KEPT_BYTES);
        assert_eq!(
            serde_json::from_str::<FailureRecord>(&record.line()).unwrap(),
            record
        );
    }

    #[test]
    fn long_messages_are_cut_and_say_their_length() {
        assert_eq!(capped("short", 10), "short");
        assert_eq!(capped("ééééé", 5), "ééééé");
        assert_eq!(capped("abcdef", 3), "abc… (cut: 6 characters in all)");
    }

    #[test]
    fn base64_as_rfc_4648_says() {
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
            (&[0xff, 0xfe, 0x00], "//4A"),
        ] {
            assert_eq!(base64(bytes), text);
        }
    }

    #[test]
    fn records_are_what_their_schema_describes() {
        let schema: serde_json::Value = serde_json::from_str(FAILED_EVENT_SCHEMA).unwrap();
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        let mut record = FailureRecord::new(1, FailureKind::SchemaViolation, "broken");
        record.errors.push(SchemaError {
            pointer: "/eventData/imagesCount".into(),
            keyword: "type".into(),
            message: "\"three\" is not of type \"integer\"".into(),
        });
        record.event_type = "BuildStarted".into();
        record.schema_version = 2;
        record.attributes.insert("ts".into(), "1".into());
        let line: serde_json::Value = serde_json::from_str(&record.line()).unwrap();
        validator.validate(&line).unwrap();
        assert_eq!(line["failure"], "schema_violation");
        let back: FailureRecord = serde_json::from_value(line.clone()).unwrap();
        assert_eq!(back, record);
        let mut wrong = line;
        wrong["failure"] = "gossip".into();
        assert!(!validator.is_valid(&wrong));
    }
}
