//! One export's way through the receiver, knowing nothing of sockets: its body read within the
//! limits, then, holding one of the slots that bound decoding and checking, inflated, decoded,
//! accepted span by span, stored, and answered. A refusal is a [`Rejection`] that says what it
//! lost; the connection layer counts and sends it.

use std::collections::BTreeMap;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode, Version};
use tokio::sync::SemaphorePermit;

use crate::accept::failure::{FailureKind, FailureRecord, base64};
use crate::accept::receive;
use crate::day::now_ms;
use crate::decode::inflate::{InflateError, inflate};
use crate::decode::{self, Compression, Format};
use crate::serve::answer::{Rejection, accepted};
use crate::serve::counts::version_key;
use crate::serve::state::State;
use crate::store::{self, Batch};

/// A refusal, and the format to answer it in (when the request said one the receiver knows).
pub(crate) type Refusal = (Rejection, Option<Format>);

/// `POST /v1/traces`: the answer, or the refusal.
pub(crate) async fn traces(
    state: &State,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Refusal> {
    let received_at = now_ms();
    let encoded = encoding(&request);
    let format = encoded.as_ref().ok().map(|(format, _)| *format);
    // The body first, bounded by its own time and bytes: a slow client holds none of the slots
    // that bound the work below, and a client that writes its whole body before reading sees
    // its answer, a refusal of its headers included.
    let receiving = state.receiving();
    // The room the body takes is held until the request is answered.
    let (body, _room) = read_body(state, request)
        .await
        .map_err(|rejection| (rejection, format))?;
    drop(receiving);
    let (format, compression) = encoded?;
    let refuse = |rejection| (rejection, Some(format));
    // Overload is answered, never queued without bound.
    let Ok(_permit) = state.in_flight.try_acquire() else {
        return Err(refuse(
            Rejection::new(
                StatusCode::TOO_MANY_REQUESTS,
                "overloaded",
                "too many requests at once; retry shortly",
            )
            .retry_after(1),
        ));
    };
    let inflated = inflate(&body, compression, state.limits.max_inflated_bytes);
    let spans = match inflated {
        Err(InflateError::TooLarge) => {
            return Err(refuse(Rejection::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "inflates_too_large",
                format!(
                    "the body inflates past {} bytes, the most this receiver takes",
                    state.limits.max_inflated_bytes
                ),
            )));
        }
        Err(InflateError::Corrupt(why)) => Err(why),
        Ok(inflated) => {
            if decode::count::spans(format, &inflated, state.limits.max_spans).is_none() {
                return Err(refuse(Rejection::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_many_spans",
                    format!(
                        "the request carries more than {} spans, the most this receiver takes \
                         at once; send them in smaller batches",
                        state.limits.max_spans
                    ),
                )));
            }
            decode::spans(format, &inflated)
        }
    };
    match spans {
        Ok(spans) => answer(state, received_at, spans, format).await,
        Err(why) => Err(refuse(undecodable(state, received_at, &body, why).await)),
    }
}

/// The request's format and compression, from its headers.
fn encoding(request: &Request<Incoming>) -> Result<(Format, Compression), Refusal> {
    let header = |name| {
        request
            .headers()
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
    };
    let format = Format::of(header(header::CONTENT_TYPE)).ok_or_else(|| {
        let rejection = Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be application/x-protobuf or application/json",
        );
        (rejection, None)
    })?;
    let compression = Compression::of(header(header::CONTENT_ENCODING)).ok_or_else(|| {
        let rejection = Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
            "the body may be gzip, deflate, zstd, or not compressed, nothing else",
        );
        (rejection, Some(format))
    })?;
    Ok((format, compression))
}

/// The body, as sent: at most `limits.max_body_bytes` of it, within `limits.request_timeout`.
///
/// A body over the limit is read to its end and thrown away (up to a bound, within the same
/// time) before the 413 is sent: a client that writes its whole body before it reads, as
/// OpenTelemetry's exporters do, sees the answer instead of a broken pipe.
async fn read_body<'s>(
    state: &'s State,
    request: Request<Incoming>,
) -> Result<(Bytes, Option<SemaphorePermit<'s>>), Rejection> {
    let limits = state.limits;
    let too_large = || {
        Rejection::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "the body is over {} bytes, the most this receiver takes",
                limits.max_body_bytes
            ),
        )
        .close()
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok());
    let chunked = request.headers().contains_key(header::TRANSFER_ENCODING);
    if request.version() <= Version::HTTP_10 && declared.is_none() && !chunked {
        // HTTP/1.0 has no other way to say where a body ends: without a length, there is none
        // to read, and an answer of 200 would acknowledge what never arrived.
        return Err(Rejection::new(
            StatusCode::LENGTH_REQUIRED,
            "length_required",
            "a body needs a Content-Length",
        )
        .close());
    }
    let max = limits.max_body_bytes;
    let mut over = declared.is_some_and(|length| length > max as u64);
    // What the body holds of the room for bodies being read, in KiB.
    let mut room: Option<SemaphorePermit<'s>> = None;
    let mut no_room = false;
    // What is read and thrown away to answer a body over the limit: past this, the connection
    // is closed without reading on.
    let drain_bound = (max as u64).saturating_mul(4).max(64 << 20);
    // What a client declares is not yet sent: memory grows with what arrives, from at most 1 MiB
    // reserved up front.
    let capacity = declared.map_or(0, |length| {
        usize::try_from(length).unwrap_or(max).min(max).min(1 << 20)
    });
    let mut buffer: Vec<u8> = Vec::with_capacity(if over { 0 } else { capacity });
    let mut read = 0_u64;
    let deadline = tokio::time::Instant::now() + limits.request_timeout;
    let mut body = request.into_body();
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(None) => break,
            Ok(Some(Ok(frame))) => frame,
            // A body over the limit that stalls or breaks while it is read through is still
            // answered for being too large.
            _ if over => return Err(too_large()),
            Err(_) => {
                return Err(Rejection::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "body_timeout",
                    "the body took too long to arrive",
                )
                .close());
            }
            Ok(Some(Err(error))) => {
                return Err(Rejection::new(
                    StatusCode::BAD_REQUEST,
                    "unreadable_body",
                    format!("the body could not be read: {error}"),
                )
                .close());
            }
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        read = read.saturating_add(data.len() as u64);
        if over || no_room {
            if read > drain_bound {
                break;
            }
            continue;
        }
        if buffer.len() + data.len() > max {
            over = true;
            buffer = Vec::new();
            room = None;
            continue;
        }
        if !grow(state, &mut room, buffer.len() + data.len()) {
            no_room = true;
            buffer = Vec::new();
            room = None;
            continue;
        }
        buffer.extend_from_slice(&data);
    }
    if over {
        return Err(too_large());
    }
    if no_room {
        return Err(Rejection::new(
            StatusCode::TOO_MANY_REQUESTS,
            "receiving_full",
            "too many bodies arriving at once; retry shortly",
        )
        .retry_after(1)
        .close());
    }
    Ok((Bytes::from(buffer), room))
}

/// Takes room for a body of `bytes`, rounded up to whole KiB, beside what `room` holds already;
/// `false` when there is none.
fn grow<'s>(state: &'s State, room: &mut Option<SemaphorePermit<'s>>, bytes: usize) -> bool {
    let needed = bytes.div_ceil(1024);
    let held = room.as_ref().map_or(0, SemaphorePermit::num_permits);
    if needed <= held {
        return true;
    }
    let more = u32::try_from(needed - held).unwrap_or(u32::MAX);
    match state.receiving_room.try_acquire_many(more) {
        Ok(permit) => {
            match room {
                Some(room) => room.merge(permit),
                None => *room = Some(permit),
            }
            true
        }
        Err(_) => false,
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
            Rejection::new(StatusCode::BAD_REQUEST, "undecodable", why)
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
) -> Result<Response<Full<Bytes>>, Refusal> {
    let outcome = receive::spans(
        &state.contract,
        spans,
        received_at,
        (state.validate, state.limits.max_event_bytes),
    );
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
        let spans = (outcome.accepted.len() + outcome.failed.len()) as u64;
        store(state, batch)
            .await
            .map_err(|rejection| (rejection.lost_spans(spans), Some(format)))?;
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
            "not_stored",
            format!("nothing was stored ({error}); retry later"),
        )
        .retry_after(1)
    })
}
