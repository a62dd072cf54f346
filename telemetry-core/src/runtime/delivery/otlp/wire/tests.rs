//! The hand-written encoding against `opentelemetry-proto`'s types: every request decodes to
//! exactly the message built from those types, and is byte for byte what `prost` encodes.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, span::SpanKind};
use prost::Message as _;

use super::{Value, request, span, varint, varint_len};

fn key_value(key: &str, value: Value<'_>) -> KeyValue {
    let value = match value {
        Value::String(text) => any_value::Value::StringValue(text.to_owned()),
        Value::Int(number) => any_value::Value::IntValue(number),
    };
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

/// The request as `opentelemetry-proto` builds it.
fn expected(
    service: &str,
    scope: &str,
    spans: &[(super::Span<'_>, Vec<(&str, Value<'_>)>)],
) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![key_value("service.name", Value::String(service))],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: scope.to_owned(),
                    ..InstrumentationScope::default()
                }),
                spans: spans
                    .iter()
                    .map(|(header, attributes)| Span {
                        trace_id: header.trace_id.to_vec(),
                        span_id: header.id.to_vec(),
                        name: header.name.to_owned(),
                        kind: SpanKind::Internal.into(),
                        start_time_unix_nano: header.time_unix_nano,
                        end_time_unix_nano: header.time_unix_nano,
                        attributes: attributes
                            .iter()
                            .map(|(key, value)| key_value(key, *value))
                            .collect(),
                        ..Span::default()
                    })
                    .collect(),
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

fn assert_same(service: &str, scope: &str, spans: &[(super::Span<'_>, Vec<(&str, Value<'_>)>)]) {
    let encoded: Vec<Vec<u8>> = spans
        .iter()
        .map(|(header, attributes)| span(header, attributes.iter().copied()))
        .collect();
    let ours = request(service, scope, &encoded);
    let theirs = expected(service, scope, spans);
    assert_eq!(ExportTraceServiceRequest::decode(&*ours).unwrap(), theirs);
    assert_eq!(ours, theirs.encode_to_vec());
}

#[test]
fn a_werf_request_is_what_opentelemetry_proto_encodes() {
    let header = super::Span {
        trace_id: *b"0123456789abcdef",
        id: *b"spanid01",
        name: "telemetry.werf.io",
        time_unix_nano: 1_658_231_825_280_000_000,
    };
    let attributes = vec![
        ("ts", Value::Int(1_658_231_825_280)),
        (
            "executionID",
            Value::String("2f75d020-684e-4224-9013-35e95e1b7721"),
        ),
        ("userID", Value::String("")),
        (
            "projectID",
            Value::String("b4c2d019070529344a6967d8c73d578101c6554fcdcae3d00bb93a9692523cb1"),
        ),
        ("command", Value::String("werf converge")),
        ("eventType", Value::String("CommandStarted")),
        ("eventData", Value::String("{\"commandOptions\":[]}")),
        (
            "attributes",
            Value::String("{\"arch\":\"amd64\",\"os\":\"linux\"}"),
        ),
        ("schemaVersion", Value::Int(2)),
    ];
    assert_same("werf", "telemetry.werf.io", &[(header, attributes)]);
}

#[test]
fn edge_values_and_many_spans_encode_alike() {
    let long = "é".repeat(20_000);
    let zero = super::Span {
        trace_id: [0; 16],
        id: [0; 8],
        name: "",
        time_unix_nano: 0,
    };
    let full = super::Span {
        trace_id: [0xff; 16],
        id: [0x80; 8],
        name: &long,
        time_unix_nano: u64::MAX,
    };
    let values = [
        Value::Int(0),
        Value::Int(-1),
        Value::Int(i64::MIN),
        Value::Int(i64::MAX),
        Value::Int(127),
        Value::Int(128),
        Value::String(""),
        Value::String(&long),
        Value::String("\u{0}\n\"{}"),
    ];
    let mut spans = Vec::new();
    for (index, value) in values.iter().enumerate() {
        let header = if index % 2 == 0 { zero } else { full };
        spans.push((header, vec![("", *value), ("key", *value)]));
    }
    spans.push((zero, Vec::new()));
    assert_same("", "", &spans);
    assert_same(&long, "scope", &spans);
    for count in [1, 2, 600] {
        let many = vec![spans[1].clone(); count];
        assert_same("tool", "tool.telemetry", &many);
    }
}

#[test]
fn varints_are_base_128() {
    let encode = |value| {
        let mut out = Vec::new();
        varint(&mut out, value);
        out
    };
    assert_eq!(encode(0), [0]);
    assert_eq!(encode(1), [1]);
    assert_eq!(encode(127), [0x7f]);
    assert_eq!(encode(128), [0x80, 0x01]);
    assert_eq!(encode(300), [0xac, 0x02]);
    assert_eq!(
        encode(u64::MAX),
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
    );
    // The lengths nested messages are announced with are the lengths written.
    for shift in 0..64 {
        for value in [1_u64 << shift, (1 << shift) - 1, (1 << shift) + 1] {
            assert_eq!(varint_len(value), encode(value).len(), "{value}");
        }
    }
    assert_eq!(varint_len(u64::MAX), 10);
}
