//! Requests shaped as werf's released client (v2.77.1, `pkg/telemetry`) sends them, built from
//! what its code does, not from werf's page: `attributes` marshalled from a Go map (keys in
//! alphabetical order, `ci` only when true, every extra attribute taken without limit), Go's
//! JSON escapes (`<`, `>`, `&`, U+2028, U+2029), `eventData` in the Go structs' field order, the
//! OpenTelemetry Go SDK's resource and scope, real span times, and batches of up to 512 spans.

#![allow(dead_code, unreachable_pub, reason = "each test file uses part of it")]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

/// werf's span and scope name.
pub const SPAN_NAME: &str = "telemetry.werf.io";

/// A JSON string as Go's `encoding/json` writes it: `<`, `>` and `&` as `\u003c`, `\u003e`,
/// `\u0026`, U+2028 and U+2029 escaped, other control characters as `\n`, `\r`, `\t` or
/// `\u00XX`.
pub fn go_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Where werf runs.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// `CI` true: werf then adds `ci: true`; otherwise the key is absent.
    pub ci: bool,
    /// The CI system werf detected, if any (`gitlab`, `jenkins`, ...): detected even when `CI`
    /// is not set (Jenkins).
    pub ci_name: Option<&'static str>,
    /// `TRDL_USE_WERF_GROUP_CHANNEL`.
    pub group_channel: Option<&'static str>,
    /// Every `WERF_TELEMETRY_EXTRA_ATTRIBUTE_*=KEY=VALUE`, as werf splits them.
    pub extra: BTreeMap<String, String>,
    /// The origin's projectID; `None` outside a git repository (`""`).
    pub project_id: Option<&'static str>,
}

impl Run {
    /// `attributes` as werf marshals its map: keys in alphabetical order, Go's escapes.
    pub fn attributes(&self) -> String {
        let mut fields: BTreeMap<&str, String> = BTreeMap::new();
        fields.insert("arch", go_string("amd64"));
        fields.insert("os", go_string("linux"));
        fields.insert("version", go_string("v2.77.1"));
        if self.ci {
            fields.insert("ci", "true".into());
        }
        if let Some(name) = self.ci_name {
            fields.insert("ciName", go_string(name));
        }
        if let Some(channel) = self.group_channel {
            fields.insert("groupChannel", go_string(channel));
        }
        let extra: Vec<String> = self
            .extra
            .iter()
            .map(|(key, value)| format!("{}:{}", go_string(key), go_string(value)))
            .collect();
        fields.insert("extra", format!("{{{}}}", extra.join(",")));
        let members: Vec<String> = fields
            .iter()
            .map(|(key, value)| format!("{}:{value}", go_string(key)))
            .collect();
        format!("{{{}}}", members.join(","))
    }

    /// The envelope werf builds for an event of `event_type` with `event_data` (Go's JSON of
    /// the event's struct) at `ts`: what a receiver must store, byte for byte.
    pub fn envelope(&self, ts: i64, event_type: &str, event_data: &str) -> String {
        format!(
            "{{\"ts\":{ts},\"executionID\":\"8d5b0c3e-2c1f-4b7e-9a4d-1f2e3d4c5b6a\",\"userID\":\"\",\
             \"projectID\":\"{}\",\"command\":\"werf converge\",\"attributes\":{},\
             \"eventType\":\"{event_type}\",\"eventData\":{event_data},\"schemaVersion\":2}}",
            self.project_id.unwrap_or_default(),
            self.attributes(),
        )
    }

    /// The span werf's client makes of that event.
    pub fn span(&self, ts: i64, event_type: &str, event_data: &str, index: u64) -> Span {
        let string = |text: &str| Any::StringValue(text.to_owned());
        let attributes = [
            ("ts", Any::IntValue(ts)),
            (
                "executionID",
                string("8d5b0c3e-2c1f-4b7e-9a4d-1f2e3d4c5b6a"),
            ),
            ("userID", string("")),
            ("projectID", string(self.project_id.unwrap_or_default())),
            ("command", string("werf converge")),
            ("attributes", string(&self.attributes())),
            ("eventType", string(event_type)),
            ("eventData", string(event_data)),
            ("schemaVersion", Any::IntValue(2)),
        ]
        .into_iter()
        .map(|(key, value)| KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..KeyValue::default()
        })
        .collect();
        let nanos = u64::try_from(ts).unwrap_or_default() * 1_000_000;
        Span {
            trace_id: [index.to_be_bytes(), 0x5eed_u64.to_be_bytes()].concat(),
            span_id: index.to_be_bytes().to_vec(),
            name: SPAN_NAME.into(),
            kind: 1,
            start_time_unix_nano: nanos,
            end_time_unix_nano: nanos + 12_345,
            attributes,
            ..Span::default()
        }
    }
}

/// One event of each of werf's seven types, as werf's Go structs marshal them (`eventData`),
/// with werf's own values: `commandOptions` names only, `baseImageSource` `registry`.
pub fn seven_events() -> Vec<(&'static str, String)> {
    vec![
        (
            "CommandStarted",
            r#"{"commandOptions":[{"name":"repo","asCli":false,"asEnv":false,"count":0},{"name":"dev","asCli":false,"asEnv":false,"count":0}]}"#.into(),
        ),
        ("CommandExited", r#"{"exitCode":1,"durationMs":10827}"#.into()),
        (
            "UnshallowFailed",
            format!(
                r#"{{"errorMessage":{},"gitlabRunnerVersion":"16.9.1","gitlabServerVersion":"16.9.2-ee"}}"#,
                go_string("fetch failed: <remote> & \"origin\"\n")
            ),
        ),
        (
            "BuildStarted",
            r#"{"imagesCount":2,"containerBackend":"buildah","inContainer":true}"#.into(),
        ),
        (
            "BuildFinished",
            r#"{"durationMs":50000,"success":false,"imagesCount":2}"#.into(),
        ),
        (
            "ImageBuildFinished",
            r#"{"image":"backend","durationMs":15500,"rebuilt":true,"configType":"dockerfile"}"#.into(),
        ),
        (
            "StageBuildFinished",
            r#"{"image":"backend","stage":"from","durationMs":8500,"fromCache":false,"baseImageSource":"registry","baseImagePulled":true}"#.into(),
        ),
    ]
}

/// An export of `spans` as werf's OpenTelemetry Go SDK sends it: its resource, werf's scope
/// without a version.
pub fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    let string = |key: &str, value: &str| KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Any::StringValue(value.into())),
        }),
        ..KeyValue::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    string("service.name", "unknown_service:werf"),
                    string("telemetry.sdk.language", "go"),
                    string("telemetry.sdk.name", "opentelemetry"),
                    string("telemetry.sdk.version", "1.24.0"),
                ],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: SPAN_NAME.into(),
                    ..InstrumentationScope::default()
                }),
                spans,
                schema_url: "https://opentelemetry.io/schemas/1.24.0".into(),
            }],
            schema_url: "https://opentelemetry.io/schemas/1.24.0".into(),
        }],
    }
}

/// Forty extra attributes, as `WERF_TELEMETRY_EXTRA_ATTRIBUTE_*` set them in a real pipeline:
/// an empty key, a 300-character value, characters Go escapes.
pub fn forty_extra_attributes() -> BTreeMap<String, String> {
    let mut extra: BTreeMap<String, String> = (0..38)
        .map(|index| {
            (
                format!("team_{index:02}"),
                format!("value <{index}> & more"),
            )
        })
        .collect();
    extra.insert(String::new(), "empty key".into());
    extra.insert("pipeline_description".into(), "x".repeat(300));
    extra
}
