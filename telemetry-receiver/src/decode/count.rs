//! Counting the spans of a body before it is decoded: an empty span is two bytes of protobuf
//! (or three of JSON) and a few hundred once decoded, so a small body could cost gigabytes. The
//! count walks the encoding without building anything, and the request is refused past
//! [`Limits::max_spans`](crate::Limits::max_spans).

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::Format;

/// The spans of an `ExportTraceServiceRequest` in `body`, counted without decoding it; `None`
/// past `limit` (counting stops there). A body that is not one is left for the decoder to
/// refuse with its own words: it counts as what could be counted.
pub(crate) fn spans(format: Format, body: &[u8], limit: usize) -> Option<usize> {
    let mut count = Count { spans: 0, limit };
    let within = match format {
        Format::Protobuf => protobuf(body, &mut count).is_ok() || count.spans <= limit,
        Format::Json => {
            let mut deserializer = serde_json::Deserializer::from_slice(body);
            // Errors are the decoder's to report: what could be counted is.
            let _ = Counting {
                level: Level::Request,
                count: &mut count,
            }
            .deserialize(&mut deserializer);
            count.spans <= limit
        }
    };
    within.then_some(count.spans)
}

/// Spans counted so far, and the most there may be.
struct Count {
    spans: usize,
    limit: usize,
}

impl Count {
    /// Counts one span; `Err` once past the limit.
    fn one(&mut self) -> Result<(), ()> {
        self.spans += 1;
        if self.spans > self.limit {
            Err(())
        } else {
            Ok(())
        }
    }
}

/// Walks the protobuf: `resource_spans` (1) of the request, `scope_spans` (2) of each, `spans`
/// (2) of each of those.
fn protobuf(body: &[u8], count: &mut Count) -> Result<(), ()> {
    for (field, value) in Fields(body) {
        let Value::Length(resource) = value? else {
            continue;
        };
        if field != 1 {
            continue;
        }
        for (field, value) in Fields(resource) {
            let Value::Length(scope) = value? else {
                continue;
            };
            if field != 2 {
                continue;
            }
            for (field, value) in Fields(scope) {
                if matches!(value?, Value::Length(_)) && field == 2 {
                    count.one()?;
                }
            }
        }
    }
    Ok(())
}

/// A field's value, as far as counting needs it.
enum Value<'a> {
    /// A varint or a fixed-size number.
    Scalar,
    /// Length-delimited bytes: a message, a string, packed numbers.
    Length(&'a [u8]),
}

/// The fields of one protobuf message, in order; an error ends it.
struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = (u64, Result<Value<'a>, ()>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let parsed = (|| {
            let key = varint(&mut self.0)?;
            let value = match key & 7 {
                0 => varint(&mut self.0).map(|_| Value::Scalar)?,
                1 => skip(&mut self.0, 8).map(|_| Value::Scalar)?,
                5 => skip(&mut self.0, 4).map(|_| Value::Scalar)?,
                2 => {
                    let length = usize::try_from(varint(&mut self.0)?).map_err(|_| ())?;
                    Value::Length(skip(&mut self.0, length)?)
                }
                _ => return Err(()),
            };
            Ok((key >> 3, value))
        })();
        if let Ok((field, value)) = parsed {
            Some((field, Ok(value)))
        } else {
            self.0 = &[];
            Some((0, Err(())))
        }
    }
}

/// Reads a varint off the front of `bytes`.
fn varint(bytes: &mut &[u8]) -> Result<u64, ()> {
    let mut value = 0_u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first().ok_or(())?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(())
}

/// Takes `length` bytes off the front of `bytes`.
fn skip<'a>(bytes: &mut &'a [u8], length: usize) -> Result<&'a [u8], ()> {
    if bytes.len() < length {
        return Err(());
    }
    let (taken, rest) = bytes.split_at(length);
    *bytes = rest;
    Ok(taken)
}

/// Where in OTLP/JSON a value is: the request, a `resourceSpans` item, a `scopeSpans` item.
#[derive(Clone, Copy)]
enum Level {
    Request,
    Resource,
    Scope,
}

impl Level {
    /// The key whose array holds the next level's objects (or, in a scope, the spans).
    fn key(self) -> (&'static str, &'static str) {
        match self {
            Level::Request => ("resourceSpans", "resource_spans"),
            Level::Resource => ("scopeSpans", "scope_spans"),
            Level::Scope => ("spans", "spans"),
        }
    }
}

/// Counts the spans under one level: a seed of its object, and the visitor of it.
struct Counting<'c> {
    level: Level,
    count: &'c mut Count,
}

impl<'de> DeserializeSeed<'de> for Counting<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Counting<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OTLP/JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (camel, snake) = self.level.key();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == camel || key == snake {
                map.next_value_seed(Items {
                    level: self.level,
                    count: &mut *self.count,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The array under a level's key: the next level's objects, or spans to count.
struct Items<'c> {
    level: Level,
    count: &'c mut Count,
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let next = match self.level {
            Level::Request => Some(Level::Resource),
            Level::Resource => Some(Level::Scope),
            Level::Scope => None,
        };
        loop {
            let more = if let Some(level) = next {
                seq.next_element_seed(Counting {
                    level,
                    count: &mut *self.count,
                })?
                .is_some()
            } else {
                let more = seq.next_element::<IgnoredAny>()?.is_some();
                if more && self.count.one().is_err() {
                    return Err(serde::de::Error::custom("too many spans"));
                }
                more
            };
            if !more {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use prost::Message as _;

    use super::{Format, spans};

    fn request(scopes: &[usize]) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: scopes
                    .iter()
                    .map(|&count| ScopeSpans {
                        spans: vec![
                            Span {
                                name: "x".into(),
                                ..Span::default()
                            };
                            count
                        ],
                        ..ScopeSpans::default()
                    })
                    .collect(),
                ..ResourceSpans::default()
            }],
        }
    }

    #[test]
    fn protobuf_and_json_spans_are_counted_without_decoding_and_stop_past_the_limit() {
        let request = request(&[3, 0, 4]);
        let protobuf = request.encode_to_vec();
        let json = serde_json::to_vec(&request).unwrap();
        for (format, body) in [(Format::Protobuf, &protobuf), (Format::Json, &json)] {
            assert_eq!(spans(format, body, 7), Some(7));
            assert_eq!(spans(format, body, 6), None);
            assert_eq!(spans(format, b"", 6), Some(0));
        }
        // A million empty spans in two megabytes is refused without a million of anything.
        let mut bomb = vec![0x0a, 0x00];
        let mut scope = Vec::new();
        for _ in 0..1_000_000 {
            scope.extend_from_slice(&[0x12, 0x00]);
        }
        let mut resource = vec![0x12];
        prost::encoding::encode_varint(scope.len() as u64, &mut resource);
        resource.extend_from_slice(&scope);
        bomb[1] = 0; // an empty resource first
        bomb.push(0x0a);
        prost::encoding::encode_varint(resource.len() as u64, &mut bomb);
        bomb.extend_from_slice(&resource);
        assert_eq!(spans(Format::Protobuf, &bomb, 10_000), None);
        assert_eq!(spans(Format::Protobuf, &bomb, 1_000_000), Some(1_000_000));
        // What is not protobuf is counted as far as it goes, for the decoder to refuse.
        assert_eq!(spans(Format::Protobuf, b"\xff\xff\xff", 10), Some(0));
        assert_eq!(spans(Format::Json, b"{\"resourceSpans\": [{", 10), Some(0));
    }
}
