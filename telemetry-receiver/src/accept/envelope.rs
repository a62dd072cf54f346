//! A span back into its envelope: the exact inverse of the runtime's OTLP mapping
//! ([`telemetry_core::otlp::SPAN_ATTRIBUTES`], one list for both directions). For an event of
//! this toolkit's runtime, the line rebuilt is byte for byte the line the sender's own log file
//! holds: the keys in the envelope's order, strings escaped as `serde_json` escapes them,
//! `eventData` and `attributes` as the sender wrote them. JSON another client wrote with white
//! space is made one line, its keys, numbers and strings kept as they were.

use std::borrow::Cow;
use std::collections::BTreeMap;

use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use serde::de::IgnoredAny;
use telemetry_core::MAX_SAFE_INTEGER;
use telemetry_core::otlp::{ENVELOPE_ORDER, SPAN_ATTRIBUTES, SpanValue};

use crate::accept::document::{Document, Members};
use crate::accept::failure::{FailureKind, FailureRecord};

/// An event rebuilt from its span: its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    /// The envelope, one JSON line (UTF-8: it is made of strings).
    pub(crate) line: Vec<u8>,
    /// Its `eventType`.
    pub(crate) event_type: String,
    /// Its `schemaVersion`.
    pub(crate) schema_version: i64,
}

impl Envelope {
    /// `<EventType>.v<N>`.
    pub(crate) fn version_key(&self) -> String {
        crate::serve::counts::version_key(&self.event_type, self.schema_version)
    }
}

/// The event a span of the program carries, and, when `read` says, the same envelope read in
/// place from the span's attributes, to be checked (made while the line is, so that nothing is
/// parsed twice); or why the span carries no event (a record that keeps its attributes as
/// received). Attributes of more than `max_bytes` in all are not read at all.
pub(crate) fn from_span<'a>(
    name: &str,
    attributes: &'a [KeyValue],
    received_at: u64,
    (read, max_bytes): (bool, usize),
) -> Result<(Envelope, Option<Document<'a>>), Box<FailureRecord>> {
    let find = |key: &str| find(attributes, key);
    let fail = |kind: FailureKind, message: String| {
        failure(name, attributes, received_at, (kind, message))
    };
    let weight = weight(attributes);
    if weight > max_bytes {
        return Err(fail(
            FailureKind::EventTooLarge,
            format!(
                "the span's attributes weigh {weight} bytes, more than the {max_bytes} this \
                 receiver checks in one event"
            ),
        ));
    }
    let mut line = Vec::with_capacity(512);
    line.push(b'{');
    let (mut event_type, mut schema_version) = (String::new(), 0);
    let mut document = read.then(Vec::new);
    for (index, value) in ENVELOPE_ORDER.iter().enumerate() {
        let key = key_of(*value);
        let Some(found) = find(key) else {
            return Err(fail(
                FailureKind::AttributeMissing,
                format!("the span has no attribute `{key}`"),
            ));
        };
        if index > 0 {
            line.push(b',');
        }
        push_string(&mut line, key);
        line.push(b':');
        match (value.otlp_type(), found) {
            ("int", Any::IntValue(integer)) => {
                line.extend_from_slice(itoa::Buffer::new().format(*integer).as_bytes());
                if *value == SpanValue::SchemaVersion {
                    schema_version = *integer;
                }
                if let Some(document) = &mut document {
                    document.push((Cow::Borrowed(key), Document::Number((*integer).into())));
                }
            }
            ("string", Any::StringValue(text))
                if matches!(value, SpanValue::EventData | SpanValue::Attributes) =>
            {
                let json = match &mut document {
                    Some(document) => serde_json::from_str::<Document<'a>>(text)
                        .map(|value| document.push((Cow::Borrowed(key), value)))
                        .is_ok(),
                    None => serde_json::from_str::<IgnoredAny>(text).is_ok(),
                };
                if !json {
                    return Err(fail(
                        FailureKind::NotJson,
                        format!("the attribute `{key}` is not a JSON document"),
                    ));
                }
                push_one_line(&mut line, text);
            }
            ("string", Any::StringValue(text)) => {
                push_string(&mut line, text);
                if *value == SpanValue::EventType {
                    event_type.clone_from(text);
                }
                if let Some(document) = &mut document {
                    document.push((Cow::Borrowed(key), Document::String(Cow::Borrowed(text))));
                }
            }
            (expected, _) => {
                return Err(fail(
                    FailureKind::AttributeType,
                    format!("the attribute `{key}` is not an OTLP {expected} value"),
                ));
            }
        }
    }
    line.push(b'}');
    let envelope = Envelope {
        line,
        event_type,
        schema_version,
    };
    Ok((
        envelope,
        document.map(|pairs| Document::Object(Members::new(pairs))),
    ))
}

/// The value of the attribute `key`, if there is one.
fn find<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Any> {
    attributes
        .iter()
        .find(|attribute| attribute.key == key)
        .and_then(|attribute| attribute.value.as_ref())
        .and_then(|value| value.value.as_ref())
}

/// The envelope key of `value`.
fn key_of(value: SpanValue) -> &'static str {
    SPAN_ATTRIBUTES
        .iter()
        .find(|attribute| attribute.value == value)
        .map_or("", |attribute| attribute.key)
}

/// The record of a span of `name` with `attributes` that carries no event, for `why`: what
/// failed, in words.
fn failure(
    name: &str,
    attributes: &[KeyValue],
    received_at: u64,
    (kind, message): (FailureKind, String),
) -> Box<FailureRecord> {
    let mut record = FailureRecord::new(received_at, kind, message);
    name.clone_into(&mut record.span_name);
    record.attributes = received(attributes);
    if let Some(Any::StringValue(event_type)) = find(attributes, key_of(SpanValue::EventType)) {
        record.event_type.clone_from(event_type);
    }
    if let Some(Any::IntValue(version)) = find(attributes, key_of(SpanValue::SchemaVersion))
        && version.unsigned_abs() <= MAX_SAFE_INTEGER.unsigned_abs()
    {
        record.schema_version = *version;
    }
    Box::new(record)
}

/// How many bytes `attributes` weigh: their strings' lengths, 8 for any other value.
fn weight(attributes: &[KeyValue]) -> usize {
    attributes
        .iter()
        .map(|attribute| {
            match attribute
                .value
                .as_ref()
                .and_then(|value| value.value.as_ref())
            {
                Some(Any::StringValue(text)) => text.len(),
                _ => 8,
            }
        })
        .sum()
}

/// The span's attributes as received: strings as they are, other values as JSON.
pub(crate) fn received(attributes: &[KeyValue]) -> BTreeMap<String, String> {
    attributes
        .iter()
        .map(|attribute| {
            let text = match attribute
                .value
                .as_ref()
                .and_then(|value| value.value.as_ref())
            {
                Some(Any::StringValue(text)) => text.clone(),
                Some(Any::IntValue(integer)) => integer.to_string(),
                Some(Any::BoolValue(flag)) => flag.to_string(),
                Some(Any::DoubleValue(number)) => number.to_string(),
                other => serde_json::to_string(&AnyValue {
                    value: other.cloned(),
                })
                .unwrap_or_default(),
            };
            (attribute.key.clone(), text)
        })
        .collect()
}

/// Appends `text` as a JSON string, escaped as `serde_json` (and so the runtime) escapes it.
fn push_string(line: &mut Vec<u8>, text: &str) {
    // A `str` always serialises into a `Vec`.
    let _ = serde_json::to_writer(&mut *line, text);
}

/// Appends `json`, a JSON document, on one line: every space, tab and line end outside its
/// strings left out, everything else kept byte for byte. JSON that is one line already (what
/// the runtime writes) is copied as it is.
pub(crate) fn push_one_line(line: &mut Vec<u8>, json: &str) {
    let white = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\n' | b'\r');
    let bytes = json.as_bytes();
    if !bytes.iter().any(white) {
        line.extend_from_slice(bytes);
        return;
    }
    let (mut in_string, mut escaped) = (false, false);
    let mut start = 0;
    for (index, byte) in json.bytes().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else if white(&byte) {
            line.extend_from_slice(bytes.get(start..index).unwrap_or_default());
            start = index + 1;
        } else if byte == b'"' {
            in_string = true;
        }
    }
    line.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};

    use super::{from_span, push_one_line};

    fn one_line(json: &str) -> String {
        let mut line = Vec::new();
        push_one_line(&mut line, json);
        String::from_utf8(line).unwrap()
    }
    use crate::accept::failure::FailureKind;

    fn attribute(key: &str, value: Any) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..KeyValue::default()
        }
    }

    fn span() -> Vec<KeyValue> {
        let string = |text: &str| Any::StringValue(text.into());
        vec![
            attribute("ts", Any::IntValue(1_709_251_100_000)),
            attribute(
                "executionID",
                string("3a8b9c01-123e-4567-8901-23e4567890ab"),
            ),
            attribute("userID", string("")),
            attribute("projectID", string("c4d3")),
            attribute("command", string("werf \"build\"")),
            attribute("eventType", string("BuildStarted")),
            attribute(
                "eventData",
                string("{\n  \"imagesCount\": 3,\n  \"a b\": \"x\\\" y\"\n}"),
            ),
            attribute("attributes", string("{\"arch\":\"arm64\"}")),
            attribute("schemaVersion", Any::IntValue(2)),
        ]
    }

    #[test]
    fn the_envelope_comes_back_in_its_order_on_one_line() {
        let attributes = span();
        let (event, document) =
            from_span("telemetry.werf.io", &attributes, 0, (true, 1 << 20)).unwrap();
        // What is checked means what is stored.
        assert_eq!(
            document.unwrap().to_value(),
            serde_json::from_slice::<serde_json::Value>(&event.line).unwrap()
        );
        assert_eq!(
            String::from_utf8(event.line.clone()).unwrap(),
            "{\"ts\":1709251100000,\"executionID\":\"3a8b9c01-123e-4567-8901-23e4567890ab\",\
             \"userID\":\"\",\"projectID\":\"c4d3\",\"command\":\"werf \\\"build\\\"\",\
             \"attributes\":{\"arch\":\"arm64\"},\"eventType\":\"BuildStarted\",\
             \"eventData\":{\"imagesCount\":3,\"a b\":\"x\\\" y\"},\"schemaVersion\":2}"
        );
        assert_eq!(event.version_key(), "BuildStarted.v2");
    }

    #[test]
    fn a_span_that_carries_no_envelope_is_a_record_of_why() {
        let mut missing = span();
        missing.retain(|attribute| attribute.key != "userID");
        let record = from_span("s", &missing, 5, (false, 1 << 20)).unwrap_err();
        assert_eq!(record.failure, FailureKind::AttributeMissing);
        assert_eq!(record.message, "the span has no attribute `userID`");
        assert_eq!(
            (record.event_type.as_str(), record.schema_version),
            ("BuildStarted", 2)
        );
        assert_eq!(record.attributes["ts"], "1709251100000");
        assert_eq!(record.received_at, 5);

        let mut wrong = span();
        wrong[0] = attribute("ts", Any::StringValue("now".into()));
        let record = from_span("s", &wrong, 0, (true, 1 << 20)).unwrap_err();
        assert_eq!(record.failure, FailureKind::AttributeType);
        assert_eq!(
            record.message,
            "the attribute `ts` is not an OTLP int value"
        );

        let mut not_json = span();
        not_json[6] = attribute("eventData", Any::StringValue("{imagesCount: 3}".into()));
        assert_eq!(
            from_span("s", &not_json, 0, (true, 1 << 20))
                .unwrap_err()
                .failure,
            FailureKind::NotJson
        );
        // Attributes heavier than the limit are not read at all.
        assert_eq!(
            from_span("s", &not_json, 0, (true, 8)).unwrap_err().failure,
            FailureKind::EventTooLarge
        );

        let mut huge = span();
        huge[8] = attribute("schemaVersion", Any::IntValue(i64::MAX));
        assert_eq!(
            from_span("s", &huge, 0, (false, 1 << 20))
                .unwrap()
                .0
                .schema_version,
            i64::MAX
        );
        huge[6] = attribute("eventData", Any::BoolValue(true));
        let record = from_span("s", &huge, 0, (false, 1 << 20)).unwrap_err();
        assert_eq!(
            (
                record.schema_version,
                record.attributes["eventData"].as_str()
            ),
            (0, "true")
        );
    }

    #[test]
    fn one_line_keeps_everything_but_white_space_outside_strings() {
        assert_eq!(
            one_line(" { \"a\" : [ 1 ,\t2.50 ] ,\n\"b c\":\"d \\\" é\\\\\" } "),
            "{\"a\":[1,2.50],\"b c\":\"d \\\" é\\\\\"}"
        );
        assert_eq!(one_line("{\"a\":1}"), "{\"a\":1}");
        assert_eq!(one_line("\"\\u00e9 \""), "\"\\u00e9 \"");
        assert_eq!(one_line("{\"a b\":\"c d\"}"), "{\"a b\":\"c d\"}");
    }
}
