//! Decoding a request body into OTLP spans: a pure module, no transport in it. The body is
//! protobuf (`application/x-protobuf`) or OTLP/JSON (`application/json`: trace and span IDs in
//! hex, 64-bit integers as strings or numbers), either one perhaps compressed (gzip, deflate,
//! zstd); [`inflate`] is the only code that inflates, and it stops at its limit.

pub(crate) mod count;
pub(crate) mod inflate;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use prost::Message as _;

/// How a body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json`.
    Json,
}

impl Format {
    /// The format a `Content-Type` names; `None` for any other media type.
    pub(crate) fn of(content_type: Option<&str>) -> Option<Self> {
        let media_type = content_type?.split(';').next()?.trim();
        if media_type.eq_ignore_ascii_case("application/x-protobuf") {
            Some(Format::Protobuf)
        } else if media_type.eq_ignore_ascii_case("application/json") {
            Some(Format::Json)
        } else {
            None
        }
    }

    /// The `Content-Type` of an answer in this format.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Protobuf => "application/x-protobuf",
            Format::Json => "application/json",
        }
    }
}

/// How a body is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    /// Not at all.
    None,
    /// `gzip`.
    Gzip,
    /// `deflate` (and `zlib`, as the OpenTelemetry Collector also names it): zlib's format.
    Deflate,
    /// `zstd`.
    Zstd,
}

impl Compression {
    /// The compression a `Content-Encoding` names; `None` for one the receiver does not take.
    pub(crate) fn of(content_encoding: Option<&str>) -> Option<Self> {
        match content_encoding.map(str::trim) {
            None | Some("") => Some(Compression::None),
            Some(encoding) if encoding.eq_ignore_ascii_case("identity") => Some(Compression::None),
            Some(encoding) if encoding.eq_ignore_ascii_case("gzip") => Some(Compression::Gzip),
            Some(encoding)
                if encoding.eq_ignore_ascii_case("deflate")
                    || encoding.eq_ignore_ascii_case("zlib") =>
            {
                Some(Compression::Deflate)
            }
            Some(encoding) if encoding.eq_ignore_ascii_case("zstd") => Some(Compression::Zstd),
            Some(_) => None,
        }
    }
}

/// One span, as much of it as the receiver reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Span {
    /// Its name.
    pub(crate) name: String,
    /// Its attributes.
    pub(crate) attributes: Vec<KeyValue>,
}

/// The spans of an `ExportTraceServiceRequest` in `body`, in order.
///
/// # Errors
///
/// Why the body is not one, in words.
pub(crate) fn spans(format: Format, body: &[u8]) -> Result<Vec<Span>, String> {
    let request = match format {
        Format::Protobuf => ExportTraceServiceRequest::decode(body)
            .map_err(|error| format!("not an OTLP protobuf ExportTraceServiceRequest: {error}"))?,
        Format::Json => serde_json::from_slice(body)
            .map_err(|error| format!("not an OTLP/JSON ExportTraceServiceRequest: {error}"))?,
    };
    Ok(request
        .resource_spans
        .into_iter()
        .flat_map(|resource| resource.scope_spans)
        .flat_map(|scope| scope.spans)
        .map(|span| Span {
            name: span.name,
            attributes: span.attributes,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{Compression, Format, spans};

    #[test]
    fn media_types_and_encodings() {
        assert_eq!(
            Format::of(Some("application/x-protobuf")),
            Some(Format::Protobuf)
        );
        assert_eq!(
            Format::of(Some("Application/JSON; charset=utf-8")),
            Some(Format::Json)
        );
        assert_eq!(Format::of(Some("text/plain")), None);
        assert_eq!(Format::of(None), None);
        assert_eq!(Compression::of(None), Some(Compression::None));
        assert_eq!(Compression::of(Some("GZIP")), Some(Compression::Gzip));
        assert_eq!(Compression::of(Some("br")), None);
    }

    #[test]
    fn otlp_json_with_hex_ids_and_integers_as_strings_or_numbers() {
        let body = br#"{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"s"},"spans":[
            {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"a","kind":1,
             "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":1544712661000000000,
             "attributes":[{"key":"ts","value":{"intValue":"12"}},{"key":"n","value":{"intValue":13}},
                           {"key":"s","value":{"stringValue":"x"}}]}]}]}]}"#;
        let found = spans(Format::Json, body).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "a");
        assert_eq!(found[0].attributes.len(), 3);
        assert!(spans(Format::Json, b"{\"resourceSpans\":[{]}").is_err());
        assert!(spans(Format::Protobuf, b"\xff\xff\xff").is_err());
        assert_eq!(spans(Format::Json, b"{}").unwrap(), []);
    }
}
