//! Every answer the receiver gives: an export's (OTLP's partial success when spans were
//! rejected), and [`Rejection`], the one place a refusal becomes an HTTP status, a reason the
//! counts keep, and a body in the request's encoding, never longer than a few KB.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message as _;

use crate::accept::failure::capped;
use crate::decode::Format;
use crate::serve::counts::Lost;

/// The most characters of a message an answer carries: what a client was sent back is never
/// the size of what it sent (a 10 MB invalid value quoted in a schema error).
const MAX_MESSAGE_CHARS: usize = 1024;

/// The answer to an export: OTLP's partial success when spans were rejected.
pub(crate) fn accepted(format: Format, rejected: usize, message: &str) -> Response<Full<Bytes>> {
    let rejected = i64::try_from(rejected).unwrap_or(i64::MAX);
    let message = capped(message, MAX_MESSAGE_CHARS);
    let body = match format {
        Format::Protobuf => ExportTraceServiceResponse {
            partial_success: (rejected > 0).then_some(ExportTracePartialSuccess {
                rejected_spans: rejected,
                error_message: message,
            }),
        }
        .encode_to_vec(),
        Format::Json if rejected > 0 => serde_json::to_vec(&serde_json::json!({
            "partialSuccess": {
                "rejectedSpans": rejected.to_string(),
                "errorMessage": message,
            }
        }))
        .unwrap_or_default(),
        Format::Json => b"{}".to_vec(),
    };
    response(StatusCode::OK, format.content_type(), body)
}

/// `google.rpc.Status`, the body of OTLP's error answers.
#[derive(Clone, PartialEq, prost::Message)]
struct Status {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) status: StatusCode,
    /// The reason, one word the counts keep: `body_too_large`, `overloaded`, ...
    pub(crate) reason: &'static str,
    message: String,
    /// What the refusal lost.
    pub(crate) lost: Lost,
    allow: Option<&'static str>,
    retry_after: Option<u32>,
    close: bool,
}

impl Rejection {
    pub(crate) fn new(
        status: StatusCode,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Rejection {
            status,
            reason,
            message: message.into(),
            lost: Lost::Request,
            allow: None,
            retry_after: None,
            close: false,
        }
    }

    /// Says which methods the path takes (`Allow`).
    pub(crate) fn allow(mut self, methods: &'static str) -> Self {
        self.allow = Some(methods);
        self
    }

    /// Asks the client to retry after `seconds` (`Retry-After`).
    pub(crate) fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Closes the connection after the answer: what is left of the request is not read.
    pub(crate) fn close(mut self) -> Self {
        self.close = true;
        self
    }

    /// Records that the body was decoded, and how many spans of the program it held.
    pub(crate) fn lost_spans(mut self, spans: u64) -> Self {
        self.lost = Lost::Spans(spans);
        self
    }

    /// The answer, a `google.rpc.Status` in `format`, or text when the request's format is not
    /// known.
    pub(crate) fn respond(self, format: Option<Format>) -> Response<Full<Bytes>> {
        // gRPC's codes: INVALID_ARGUMENT for what the client sent, UNAVAILABLE for the rest.
        let code = if self.status.is_client_error() { 3 } else { 14 };
        let message = capped(&self.message, MAX_MESSAGE_CHARS);
        let (content_type, body) = match format {
            Some(Format::Protobuf) => (
                Format::Protobuf.content_type(),
                Status { code, message }.encode_to_vec(),
            ),
            Some(Format::Json) => (
                Format::Json.content_type(),
                serde_json::to_vec(&serde_json::json!({ "code": code, "message": message }))
                    .unwrap_or_default(),
            ),
            None => ("text/plain; charset=utf-8", (message + "\n").into_bytes()),
        };
        let mut response = response(self.status, content_type, body);
        let headers = response.headers_mut();
        if let Some(methods) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(methods));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// A response of `status` with `body` of `content_type`.
pub(crate) fn response(
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
