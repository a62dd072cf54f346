//! Sending envelopes again: the event lines of a log file, the events a receiver stored, or the
//! failures it kept (their `envelope`), each made back into its span by the runtime's own mapping
//! ([`telemetry_core::otlp::SPAN_ATTRIBUTES`]) and `POST`ed as OTLP/HTTP protobuf, a hundred a
//! request. Once a schema is fixed, the failures it refused go through again.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message as _;
use serde::Deserialize;
use serde_json::value::RawValue;
use telemetry_core::otlp::{SPAN_ATTRIBUTES, SpanValue};

use crate::error::Error;

/// How many spans one request carries.
const SPANS_PER_REQUEST: usize = 100;

/// An envelope, its JSON documents kept as they were written.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    ts: i64,
    #[serde(rename = "executionID")]
    execution_id: String,
    #[serde(rename = "userID")]
    user_id: String,
    #[serde(rename = "projectID")]
    project_id: String,
    command: String,
    #[serde(borrow)]
    attributes: &'a RawValue,
    event_type: String,
    #[serde(borrow)]
    event_data: &'a RawValue,
    schema_version: i64,
}

/// What [`replay`] sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    /// Envelopes sent.
    pub sent: usize,
    /// Lines left out: diagnostics, failures with no envelope, blank lines.
    pub skipped: usize,
    /// Spans the receiver said it rejected.
    pub rejected: i64,
}

/// Sends the envelopes among `lines` to `endpoint` as spans named `span_name`.
///
/// # Errors
///
/// When a line is neither an envelope, a failure record nor a diagnostic, or a request fails.
pub fn replay<'a>(
    endpoint: &str,
    span_name: &str,
    lines: impl IntoIterator<Item = &'a str>,
) -> Result<Replayed, Error> {
    let mut replayed = Replayed {
        sent: 0,
        skipped: 0,
        rejected: 0,
    };
    let mut spans = Vec::new();
    for (index, line) in lines.into_iter().enumerate() {
        match envelope_of(line).map_err(|why| Error::new(format!("line {}: {why}", index + 1)))? {
            Some(envelope) => spans.push(span(span_name, &envelope)?),
            None => replayed.skipped += 1,
        }
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for chunk in spans.chunks(SPANS_PER_REQUEST) {
        let body = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: span_name.to_owned(),
                        ..InstrumentationScope::default()
                    }),
                    spans: chunk.to_vec(),
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        }
        .encode_to_vec();
        let mut response = agent
            .post(endpoint)
            .header("Content-Type", "application/x-protobuf")
            .send(&body[..])
            .map_err(|error| Error::new(format!("cannot send to {endpoint}: {error}")))?;
        let answer = response.body_mut().read_to_vec().unwrap_or_default();
        if !response.status().is_success() {
            return Err(Error::new(format!(
                "{endpoint} answered {}: {}",
                response.status(),
                String::from_utf8_lossy(&answer).trim()
            )));
        }
        if let Ok(answer) =
            opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse::decode(
                &answer[..],
            )
        {
            replayed.rejected += answer
                .partial_success
                .map_or(0, |partial| partial.rejected_spans);
        }
        replayed.sent += chunk.len();
    }
    Ok(replayed)
}

/// The envelope `line` holds: the line itself, or a failure record's `envelope`; `None` for a
/// diagnostic, a failure without an envelope, or a blank line.
fn envelope_of(line: &str) -> Result<Option<String>, String> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|error| format!("not JSON: {error}"))?;
    if value.get("diagnostic").is_some() {
        return Ok(None);
    }
    if value.get("failure").is_some() {
        return Ok(value
            .get("envelope")
            .and_then(serde_json::Value::as_str)
            .filter(|envelope| !envelope.is_empty())
            .map(str::to_owned));
    }
    Ok(Some(line.to_owned()))
}

/// The span of `envelope`, as the runtime makes it.
fn span(name: &str, envelope: &str) -> Result<Span, Error> {
    let wire: Wire<'_> = serde_json::from_str(envelope)
        .map_err(|error| Error::new(format!("not an envelope: {error}")))?;
    let attributes = SPAN_ATTRIBUTES
        .iter()
        .map(|attribute| {
            let value = match attribute.value {
                SpanValue::Ts => Any::IntValue(wire.ts),
                SpanValue::ExecutionId => Any::StringValue(wire.execution_id.clone()),
                SpanValue::UserId => Any::StringValue(wire.user_id.clone()),
                SpanValue::ProjectId => Any::StringValue(wire.project_id.clone()),
                SpanValue::Command => Any::StringValue(wire.command.clone()),
                SpanValue::EventType => Any::StringValue(wire.event_type.clone()),
                SpanValue::EventData => Any::StringValue(wire.event_data.get().to_owned()),
                SpanValue::Attributes => Any::StringValue(wire.attributes.get().to_owned()),
                SpanValue::SchemaVersion => Any::IntValue(wire.schema_version),
                _ => Any::StringValue(String::new()),
            };
            KeyValue {
                key: attribute.key.to_owned(),
                value: Some(AnyValue { value: Some(value) }),
                ..KeyValue::default()
            }
        })
        .collect();
    let nanos = u64::try_from(wire.ts)
        .unwrap_or(0)
        .saturating_mul(1_000_000);
    Ok(Span {
        name: name.to_owned(),
        trace_id: random_id::<16>(),
        span_id: random_id::<8>(),
        kind: 1,
        start_time_unix_nano: nanos,
        end_time_unix_nano: nanos,
        attributes,
        ..Span::default()
    })
}

/// An ID that differs from the last: OTLP wants non-zero trace and span IDs.
fn random_id<const N: usize>() -> Vec<u8> {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut id = Vec::with_capacity(N);
    while id.len() < N {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_usize(id.len());
        id.extend_from_slice(&hasher.finish().to_le_bytes());
    }
    id.truncate(N);
    id
}

#[cfg(test)]
mod tests {
    use super::envelope_of;

    #[test]
    fn envelopes_from_log_lines_stored_lines_and_failures() {
        assert_eq!(
            envelope_of("{\"ts\":1}").unwrap().as_deref(),
            Some("{\"ts\":1}")
        );
        assert_eq!(envelope_of("{\"diagnostic\":\"delivery\"}").unwrap(), None);
        assert_eq!(
            envelope_of("{\"failure\":\"schema_violation\",\"envelope\":\"{}\"}")
                .unwrap()
                .as_deref(),
            Some("{}")
        );
        assert_eq!(
            envelope_of("{\"failure\":\"undecodable\",\"envelope\":\"\"}").unwrap(),
            None
        );
        assert_eq!(envelope_of("  ").unwrap(), None);
        assert!(envelope_of("{").is_err());
    }
}
