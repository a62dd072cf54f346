//! What becomes of each span of a request: a span of the program is rebuilt into its envelope
//! and checked against the contract, and ends stored or failed; a span of another name is
//! counted and ignored. Nothing is dropped without an outcome.

use crate::accept::contract::Contract;
use crate::accept::document::Document;
use crate::accept::envelope::{self, Envelope};
use crate::accept::failure::{FailureKind, FailureRecord};
use crate::decode::Span;

/// The outcome of every span of one request.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Events accepted, in order.
    pub(crate) accepted: Vec<Envelope>,
    /// Spans of the program that failed, in order.
    pub(crate) failed: Vec<FailureRecord>,
    /// Spans of other names.
    pub(crate) ignored: u64,
}

/// Sorts `spans`, received at `received_at`; with `validate` off (for benchmarks), events are
/// rebuilt but not checked; a span whose attributes weigh more than `max_event_bytes` fails
/// unread.
pub(crate) fn spans(
    contract: &Contract,
    spans: Vec<Span>,
    received_at: u64,
    (validate, max_event_bytes): (bool, usize),
) -> Outcome {
    let mut outcome = Outcome::default();
    for span in spans {
        if !contract.takes(&span.name) {
            outcome.ignored += 1;
            continue;
        }
        let checked = envelope::from_span(
            &span.name,
            &span.attributes,
            received_at,
            (validate, max_event_bytes),
        )
        .and_then(|(event, document)| match document {
            Some(document) => check(contract, event, &document, received_at, &span.name),
            None => Ok(event),
        });
        match checked {
            Ok(event) => outcome.accepted.push(event),
            Err(mut record) => {
                // What came, as it came, whatever failed: a record that can be replayed.
                if record.attributes.is_empty() {
                    record.attributes = envelope::received(&span.attributes);
                }
                outcome.failed.push(*record);
            }
        }
    }
    outcome
}

/// `event`, whose envelope `document` is, when the contract accepts it; otherwise the record of
/// why not.
pub(crate) fn check(
    contract: &Contract,
    event: Envelope,
    document: &Document<'_>,
    received_at: u64,
    span_name: &str,
) -> Result<Envelope, Box<FailureRecord>> {
    let fail = |failure, message: String| {
        let mut record = FailureRecord::new(received_at, failure, message);
        record.event_type.clone_from(&event.event_type);
        if event.schema_version.unsigned_abs() <= telemetry_core::MAX_SAFE_INTEGER.unsigned_abs() {
            record.schema_version = event.schema_version;
        }
        span_name.clone_into(&mut record.span_name);
        record.envelope = String::from_utf8_lossy(&event.line).into_owned();
        Box::new(record)
    };
    if !contract.knows(&event.event_type, event.schema_version) {
        return Err(fail(
            FailureKind::UnknownEventVersion,
            format!(
                "the catalogue records no version {} of `{}`",
                event.schema_version, event.event_type
            ),
        ));
    }
    let (errors, count) = contract.violations(&event.event_type, event.schema_version, document);
    if errors.is_empty() {
        return Ok(event);
    }
    let first = errors
        .first()
        .map(|error| format!("{} at `{}`", error.message, error.pointer))
        .unwrap_or_default();
    let kept = if count > errors.len() {
        format!(" (the first {} kept)", errors.len())
    } else {
        String::new()
    };
    let mut record = fail(
        FailureKind::SchemaViolation,
        format!(
            "{} v{} breaks its schema in {count} place(s){kept}; first: {first}",
            event.event_type, event.schema_version,
        ),
    );
    record.errors = errors;
    Err(record)
}
