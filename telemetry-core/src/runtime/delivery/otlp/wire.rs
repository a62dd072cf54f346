//! The protobuf encoding of the OTLP messages the transport sends, written by hand: an
//! `ExportTraceServiceRequest` of one resource, one instrumentation scope and its spans, each
//! span with string and integer attributes. Nothing else of OTLP is ever sent, and declaring
//! these few fields here spares every program that links the runtime the build of a protobuf
//! code generator's runtime and of the whole OTLP schema.
//!
//! The bytes are what `prost` makes of `opentelemetry-proto`'s types: fields in field-number
//! order, proto3 defaults left out, oneof members always written. The tests decode every
//! request with `opentelemetry-proto` and compare it, field by field and byte for byte, with the
//! same request built from its types.
//!
//! Field numbers, from `opentelemetry/proto/{collector/trace,trace,common,resource}/v1`:
//!
//! | message | field | number | wire type |
//! |---|---|---|---|
//! | `ExportTraceServiceRequest` | `resource_spans` | 1 | message |
//! | `ResourceSpans` | `resource`, `scope_spans` | 1, 2 | message |
//! | `Resource` | `attributes` | 1 | message |
//! | `ScopeSpans` | `scope`, `spans` | 1, 2 | message |
//! | `InstrumentationScope` | `name` | 1 | string |
//! | `Span` | `trace_id`, `span_id` | 1, 2 | bytes |
//! | `Span` | `name`, `kind` | 5, 6 | string, varint |
//! | `Span` | `start_time_unix_nano`, `end_time_unix_nano` | 7, 8 | fixed64 |
//! | `Span` | `attributes` | 9 | message |
//! | `KeyValue` | `key`, `value` | 1, 2 | string, message |
//! | `AnyValue` | `string_value`, `int_value` | 1, 3 | string, varint |

/// `SpanKind::SPAN_KIND_INTERNAL`.
const SPAN_KIND_INTERNAL: u64 = 1;

/// Wire types.
const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LENGTH_DELIMITED: u32 = 2;

/// An attribute's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Value<'a> {
    /// `AnyValue.string_value`.
    String(&'a str),
    /// `AnyValue.int_value`.
    Int(i64),
}

/// One span, as the transport sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span<'a> {
    pub(super) trace_id: [u8; 16],
    /// `span_id`.
    pub(super) id: [u8; 8],
    pub(super) name: &'a str,
    /// Start and end, in nanoseconds since the Unix epoch.
    pub(super) time_unix_nano: u64,
}

/// A message being written: its fields' bytes.
#[derive(Debug, Default)]
struct Message(Vec<u8>);

impl Message {
    fn key(&mut self, field: u32, wire_type: u32) {
        varint(&mut self.0, u64::from((field << 3) | wire_type));
    }

    /// The key and length of a length-delimited field whose `len` bytes follow.
    fn header(&mut self, field: u32, len: usize) {
        self.key(field, LENGTH_DELIMITED);
        varint(&mut self.0, as_u64(len));
    }

    /// A length-delimited field: bytes, a string or a message, written even when empty.
    fn delimited(&mut self, field: u32, bytes: &[u8]) {
        self.header(field, bytes.len());
        self.0.extend_from_slice(bytes);
    }

    /// A proto3 string or bytes field: left out when empty.
    fn bytes(&mut self, field: u32, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.delimited(field, bytes);
        }
    }

    /// A proto3 varint field: left out when zero.
    fn uint(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.key(field, VARINT);
            varint(&mut self.0, value);
        }
    }

    /// A proto3 `fixed64` field: left out when zero.
    fn fixed64(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.key(field, FIXED64);
            self.0.extend_from_slice(&value.to_le_bytes());
        }
    }
}

/// `value` as a base-128 varint.
fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        // The low seven bits, with the continuation bit.
        out.push(u8::try_from(value & 0x7f).unwrap_or(0) | 0x80);
        value >>= 7;
    }
    out.push(u8::try_from(value).unwrap_or(0));
}

/// How many bytes `value` takes as a varint.
fn varint_len(value: u64) -> usize {
    // One byte per started group of seven bits; zero takes one byte too.
    let bits = u64::BITS.saturating_sub(value.max(1).leading_zeros());
    usize::try_from(bits.div_ceil(7)).unwrap_or(10)
}

/// How many bytes a length-delimited field of `len` bytes takes, its key included: one byte, as
/// for every field number below 16 (all of them here).
fn delimited_len(len: usize) -> usize {
    varint_len(as_u64(len))
        .saturating_add(len)
        .saturating_add(1)
}

/// The length of `value` as an `AnyValue` message.
fn any_value_len(value: Value<'_>) -> usize {
    match value {
        Value::String(text) => delimited_len(text.len()),
        Value::Int(number) => {
            varint_len(u64::from_ne_bytes(number.to_ne_bytes())).saturating_add(1)
        }
    }
}

/// The length of a `KeyValue` message.
fn key_value_len(key: &str, value: Value<'_>) -> usize {
    let key = if key.is_empty() {
        0
    } else {
        delimited_len(key.len())
    };
    key.saturating_add(delimited_len(any_value_len(value)))
}

impl Message {
    /// A `KeyValue` as field `field`, written in place: its length is known up front, so no
    /// message of its own is built and copied (each span has nine).
    fn key_value(&mut self, field: u32, key: &str, value: Value<'_>) {
        self.header(field, key_value_len(key, value));
        self.bytes(1, key.as_bytes());
        self.header(2, any_value_len(value));
        // A oneof member is written whatever its value: it says which member is set.
        match value {
            Value::String(text) => self.delimited(1, text.as_bytes()),
            Value::Int(number) => {
                self.key(3, VARINT);
                // int64: two's complement, as a varint.
                varint(&mut self.0, u64::from_ne_bytes(number.to_ne_bytes()));
            }
        }
    }
}

fn as_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// One span with `attributes`, encoded: the bytes of a `Span` message.
pub(super) fn span<'a>(
    span: &Span<'_>,
    attributes: impl IntoIterator<Item = (&'a str, Value<'a>)>,
) -> Vec<u8> {
    let mut message = Message(Vec::with_capacity(256));
    message.bytes(1, &span.trace_id);
    message.bytes(2, &span.id);
    message.bytes(5, span.name.as_bytes());
    message.uint(6, SPAN_KIND_INTERNAL);
    message.fixed64(7, span.time_unix_nano);
    message.fixed64(8, span.time_unix_nano);
    for (key, value) in attributes {
        message.key_value(9, key, value);
    }
    message.0
}

/// An `ExportTraceServiceRequest` of one resource whose `service.name` is `service_name`, and
/// one instrumentation scope named `scope_name` holding `spans` (each from [`span`]).
///
/// Every nested message's length is computed first, so the request is written once into a
/// buffer of its exact size, and the spans are copied once.
pub(super) fn request(service_name: &str, scope_name: &str, spans: &[Vec<u8>]) -> Vec<u8> {
    let service = Value::String(service_name);
    // The lengths of the messages' bodies, innermost first.
    let resource = delimited_len(key_value_len("service.name", service));
    let scope = if scope_name.is_empty() {
        0
    } else {
        delimited_len(scope_name.len())
    };
    let scope_spans = spans.iter().fold(delimited_len(scope), |len, span| {
        len.saturating_add(delimited_len(span.len()))
    });
    let resource_spans = delimited_len(resource).saturating_add(delimited_len(scope_spans));
    let mut request = Message(Vec::with_capacity(delimited_len(resource_spans)));
    // ExportTraceServiceRequest.resource_spans
    request.header(1, resource_spans);
    // ResourceSpans.resource, and its one attribute
    request.header(1, resource);
    request.key_value(1, "service.name", service);
    // ResourceSpans.scope_spans
    request.header(2, scope_spans);
    // ScopeSpans.scope, and InstrumentationScope.name
    request.header(1, scope);
    request.bytes(1, scope_name.as_bytes());
    // ScopeSpans.spans
    for span in spans {
        request.delimited(2, span);
    }
    request.0
}

#[cfg(test)]
mod tests;
