//! The HTTP layer, thin over decoding, checking and storing: `POST /v1/traces` (OTLP/HTTP,
//! protobuf or JSON, perhaps gzip) and `GET /status`. Every limit is [`Limits`]'; every way a
//! request is refused is one [`Rejection`], which knows its status and answers in the request's
//! encoding. A request is answered only once what it brought is on disk.
//!
//! On shutdown it stops accepting, lets the requests in flight finish, and returns the counts.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message as _;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::accept::contract::Contract;
use crate::accept::failure::{FailureKind, FailureRecord, base64};
use crate::accept::receive;
use crate::day::now_ms;
use crate::decode::gzip::{InflateError, inflate};
use crate::decode::{self, Compression, Format};
use crate::serve::counts::{Counts, SharedCounts, version_key};
use crate::serve::limits::Limits;
use crate::store::{self, Batch, Store};

/// What the server needs, shared by every request.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) contract: Arc<Contract>,
    /// Where accepted events and failures go; `None` to decode and check only (benchmarks).
    pub(crate) store: Option<Store>,
    pub(crate) limits: Limits,
    /// Whether events are checked against the contract (off for benchmarks only).
    pub(crate) validate: bool,
    pub(crate) counts: Arc<SharedCounts>,
    in_flight: Semaphore,
}

impl State {
    pub(crate) fn new(
        contract: Arc<Contract>,
        store: Option<Store>,
        limits: Limits,
        validate: bool,
        counts: Arc<SharedCounts>,
    ) -> Self {
        State {
            in_flight: Semaphore::new(limits.max_in_flight.max(1)),
            contract,
            store,
            limits,
            validate,
            counts,
        }
    }
}

/// Serves on `listener` until `shutdown` resolves; then stops accepting, finishes the requests
/// in flight, and returns the counts.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    shutdown: impl Future<Output = ()>,
) -> Counts {
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(state.limits.max_connections.max(1)));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors, a connection reset before it was accepted: the next
            // accept may work.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(state.limits.request_timeout)
            .keep_alive(true)
            .serve_connection(
                TokioIo::new(stream),
                service_fn(move |request| {
                    let state = Arc::clone(&state);
                    async move { Ok::<_, Infallible>(route(&state, request).await) }
                }),
            );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    // Requests in flight finish; idle connections close. A stalled client is cut off by its
    // request timeout, so this ends.
    graceful.shutdown().await;
    state.counts.snapshot()
}

async fn route(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    match (request.method(), path) {
        (&Method::POST, "/v1/traces") => match traces(state, request).await {
            Ok(response) | Err(response) => response,
        },
        (_, "/v1/traces") => Rejection::new(StatusCode::METHOD_NOT_ALLOWED, "use POST")
            .allow("POST")
            .respond(None),
        (&Method::GET, "/status") => {
            let mut counts = state.counts.snapshot();
            let free = state.in_flight.available_permits();
            counts.in_flight = state.limits.max_in_flight.max(1).saturating_sub(free) as u64;
            let body = serde_json::to_vec(&counts).unwrap_or_default();
            response(StatusCode::OK, "application/json", body)
        }
        (_, "/status") => Rejection::new(StatusCode::METHOD_NOT_ALLOWED, "use GET")
            .allow("GET")
            .respond(None),
        _ => Rejection::new(
            StatusCode::NOT_FOUND,
            "not found: events go to POST /v1/traces, counts come from GET /status",
        )
        .respond(None),
    }
}

/// `POST /v1/traces`: the answer, or the refusal.
async fn traces(
    state: &State,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Response<Full<Bytes>>> {
    let received_at = now_ms();
    let (format, compression) =
        encoding(&request).map_err(|(rejection, format)| rejection.respond(format))?;
    // Overload is answered, never queued without bound.
    let Ok(_permit) = state.in_flight.try_acquire() else {
        return Err(Rejection::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests at once; retry shortly",
        )
        .retry_after(1)
        .respond(Some(format)));
    };
    let body = read_body(state.limits, request)
        .await
        .map_err(|rejection| rejection.respond(Some(format)))?;
    let inflated = match compression {
        Compression::None => Ok(body.to_vec()),
        Compression::Gzip => inflate(&body, state.limits.max_inflated_bytes),
    };
    let spans = match inflated {
        Err(InflateError::TooLarge) => {
            return Err(Rejection::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the body inflates past {} bytes, the most this receiver takes",
                    state.limits.max_inflated_bytes
                ),
            )
            .respond(Some(format)));
        }
        Err(InflateError::Corrupt(why)) => Err(why),
        Ok(inflated) => decode::spans(format, &inflated),
    };
    match spans {
        Ok(spans) => answer(state, received_at, spans, format).await,
        Err(why) => Err(undecodable(state, received_at, &body, why)
            .await
            .respond(Some(format))),
    }
}

/// The request's format and compression, from its headers.
fn encoding(
    request: &Request<Incoming>,
) -> Result<(Format, Compression), (Rejection, Option<Format>)> {
    let header = |name| {
        request
            .headers()
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
    };
    let format = Format::of(header(header::CONTENT_TYPE)).ok_or_else(|| {
        let rejection = Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be application/x-protobuf or application/json",
        );
        (rejection, None)
    })?;
    let compression = Compression::of(header(header::CONTENT_ENCODING)).ok_or_else(|| {
        let rejection = Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body may be gzip, or not compressed, nothing else",
        );
        (rejection, Some(format))
    })?;
    Ok((format, compression))
}

/// The body, as sent: at most `limits.max_body_bytes` of it, within `limits.request_timeout`.
async fn read_body(limits: Limits, request: Request<Incoming>) -> Result<Bytes, Rejection> {
    let too_large = || {
        Rejection::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body is over {} bytes, the most this receiver takes",
                limits.max_body_bytes
            ),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.max_body_bytes as u64) {
        return Err(too_large());
    }
    let body = Limited::new(request.into_body(), limits.max_body_bytes).collect();
    match tokio::time::timeout(limits.request_timeout, body).await {
        Err(_) => Err(Rejection::new(
            StatusCode::REQUEST_TIMEOUT,
            "the body took too long to arrive",
        )),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(error)) => Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            format!("the body could not be read: {error}"),
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Keeps an undecodable body as a failure, then refuses it (with 503 instead when it could not
/// be kept).
async fn undecodable(state: &State, received_at: u64, body: &[u8], why: String) -> Rejection {
    let mut record = FailureRecord::new(received_at, FailureKind::Undecodable, &why);
    record.body = base64(body);
    let kept = store(
        state,
        Batch {
            received_at,
            events: Vec::new(),
            failed: store::lines([record.line()]),
        },
    )
    .await;
    match kept {
        Ok(()) => {
            state.counts.update(|counts| counts.undecodable += 1);
            Rejection::new(StatusCode::BAD_REQUEST, why)
        }
        Err(rejection) => rejection,
    }
}

/// Checks and stores the spans of a request, then answers it: OTLP's partial success when spans
/// were rejected.
async fn answer(
    state: &State,
    received_at: u64,
    spans: Vec<decode::Span>,
    format: Format,
) -> Result<Response<Full<Bytes>>, Response<Full<Bytes>>> {
    let outcome = receive::spans(&state.contract, spans, received_at, state.validate);
    let stored = by_version(
        outcome
            .accepted
            .iter()
            .map(|event| (event.event_type.as_str(), event.schema_version)),
    );
    let failed = by_version(
        outcome
            .failed
            .iter()
            .map(|record| (record.event_type.as_str(), record.schema_version)),
    );
    let rejected = outcome.failed.len();
    let message = outcome.failed.first().map_or_else(String::new, |first| {
        format!(
            "{rejected} span(s) rejected and kept as failures; the first: {}",
            first.message
        )
    });
    // Lines are put together only to be stored: a receiver that does not store (benchmarks)
    // does none of that work.
    if state.store.is_some() {
        let batch = Batch {
            received_at,
            events: store::lines(outcome.accepted.iter().map(|event| &event.line)),
            failed: store::lines(outcome.failed.iter().map(FailureRecord::line)),
        };
        store(state, batch)
            .await
            .map_err(|rejection| rejection.respond(Some(format)))?;
    }
    state.counts.update(|counts| {
        counts.ignored += outcome.ignored;
        for (version, count) in stored {
            counts.stored(version, count);
        }
        for (version, count) in failed {
            counts.failed(version, count);
        }
    });
    Ok(accepted(format, rejected, &message))
}

/// How many of `versions` (`(eventType, schemaVersion)`) there are of each, by `<EventType>.v<N>`.
fn by_version<'a>(versions: impl Iterator<Item = (&'a str, i64)>) -> Vec<(String, u64)> {
    let mut counts: BTreeMap<(&str, i64), u64> = BTreeMap::new();
    for version in versions {
        *counts.entry(version).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((event_type, version), count)| (version_key(event_type, version), count))
        .collect()
}

/// Stores `batch`, when the server stores anything.
async fn store(state: &State, batch: Batch) -> Result<(), Rejection> {
    let Some(store) = &state.store else {
        return Ok(());
    };
    store.commit(batch).await.map_err(|error| {
        Rejection::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("nothing was stored ({error}); retry later"),
        )
    })
}

/// The answer to an export: OTLP's partial success when spans were rejected.
fn accepted(format: Format, rejected: usize, message: &str) -> Response<Full<Bytes>> {
    let rejected = i64::try_from(rejected).unwrap_or(i64::MAX);
    let body = match format {
        Format::Protobuf => ExportTraceServiceResponse {
            partial_success: (rejected > 0).then(|| ExportTracePartialSuccess {
                rejected_spans: rejected,
                error_message: message.to_owned(),
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

/// Why a request was refused: the one place a failure becomes an HTTP status and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    status: StatusCode,
    message: String,
    allow: Option<&'static str>,
    retry_after: Option<u32>,
}

impl Rejection {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Rejection {
            status,
            message: message.into(),
            allow: None,
            retry_after: None,
        }
    }

    fn allow(mut self, methods: &'static str) -> Self {
        self.allow = Some(methods);
        self
    }

    fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The answer, a `google.rpc.Status` in `format`, or text when the request's format is not
    /// known.
    fn respond(self, format: Option<Format>) -> Response<Full<Bytes>> {
        // gRPC's codes: INVALID_ARGUMENT for what the client sent, UNAVAILABLE for the rest.
        let code = if self.status.is_client_error() { 3 } else { 14 };
        let (content_type, body) = match format {
            Some(Format::Protobuf) => (
                Format::Protobuf.content_type(),
                Status {
                    code,
                    message: self.message,
                }
                .encode_to_vec(),
            ),
            Some(Format::Json) => (
                Format::Json.content_type(),
                serde_json::to_vec(&serde_json::json!({ "code": code, "message": self.message }))
                    .unwrap_or_default(),
            ),
            None => (
                "text/plain; charset=utf-8",
                (self.message + "\n").into_bytes(),
            ),
        };
        let mut response = response(self.status, content_type, body);
        if let Some(methods) = self.allow {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(methods));
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

fn response(
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
