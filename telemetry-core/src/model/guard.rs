//! What the runtime refuses to send: a number its event's schema refuses. Every event schema
//! bounds integers to what every consumer of JSON reads exactly, ±(2^53 − 1)
//! ([`MAX_SAFE_INTEGER`]), and admits only finite numbers (JSON has no NaN; `serde_json` would
//! write `null`). [`Guard`] wraps the serializer an event is written with and stops at the first
//! number outside that, saying where it is: `eventData.durationMs`, `eventData.stages[].ms`,
//! `eventData.extra.*` (a map's values).
//!
//! The check costs a comparison per number; everything else is passed through as it is.

use std::cell::RefCell;
use std::fmt::{self, Display};

use serde::ser::{
    Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

use super::envelope::MAX_SAFE_INTEGER;

/// The largest magnitude of an integer every consumer reads exactly, 2^53 − 1.
const LIMIT: u64 = MAX_SAFE_INTEGER.unsigned_abs();

/// A number the schema refuses, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutOfRange {
    /// Where, from `eventData`: `durationMs`, `stages[].ms`; empty for `eventData` itself.
    path: String,
    /// The value, as Rust prints it.
    value: String,
    /// Why the schema refuses it.
    reason: &'static str,
}

impl Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "eventData".to_owned()
        } else {
            format!("eventData.{}", self.path)
        };
        write!(
            f,
            "`{path}` is {}, which its schema refuses: {}",
            self.value, self.reason
        )
    }
}

/// Where a problem was found, built as the serialisation unwinds from it.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// The problem, and the path segments from it outwards.
    problem: RefCell<Option<(OutOfRange, Vec<Segment>)>>,
}

impl Found {
    /// The problem found, with its path.
    pub(crate) fn take(&self) -> Option<OutOfRange> {
        let (mut problem, segments) = self.problem.borrow_mut().take()?;
        let mut path = String::new();
        for segment in segments.iter().rev() {
            match segment {
                Segment::Key(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Segment::Element => path.push_str("[]"),
                Segment::MapValue => path.push_str(if path.is_empty() { "*" } else { ".*" }),
            }
        }
        problem.path = path;
        Some(problem)
    }

    fn record<E: serde::ser::Error>(&self, value: impl Display, reason: &'static str) -> E {
        let problem = OutOfRange {
            path: String::new(),
            value: value.to_string(),
            reason,
        };
        let message = problem.to_string();
        *self.problem.borrow_mut() = Some((problem, Vec::new()));
        E::custom(message)
    }

    /// Adds `segment` to the path of the problem found, if any, on the way out.
    fn unwind<E>(&self, segment: Segment) -> impl FnOnce(E) -> E + '_ {
        move |error| {
            if let Some((_, segments)) = self.problem.borrow_mut().as_mut() {
                segments.push(segment);
            }
            error
        }
    }
}

/// One step of a path.
#[derive(Debug, Clone, Copy)]
enum Segment {
    /// A struct's field or an enum's variant.
    Key(&'static str),
    /// An element of a sequence or tuple.
    Element,
    /// A value of a map.
    MapValue,
}

const TOO_LARGE: &str = "integers are at most 2^53 − 1 (9007199254740991)";
const TOO_SMALL: &str = "integers are at least −(2^53 − 1) (-9007199254740991)";
const NOT_FINITE: &str = "numbers are finite (JSON has no NaN nor infinity)";

/// A serializer that refuses the numbers an event's schema refuses, and passes everything else
/// to `inner`.
pub(crate) struct Guard<'f, S> {
    inner: S,
    found: &'f Found,
}

impl<'f, S> Guard<'f, S> {
    /// `inner`, guarded; what it refuses is recorded in `found`.
    pub(crate) fn new(inner: S, found: &'f Found) -> Self {
        Guard { inner, found }
    }
}

/// A value to serialise with a guarded serializer.
struct Guarded<'a, 'f, T: ?Sized> {
    value: &'a T,
    found: &'f Found,
}

impl<T: Serialize + ?Sized> Serialize for Guarded<'_, '_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Guard {
            inner: serializer,
            found: self.found,
        })
    }
}

/// A guarded compound: a sequence, tuple, map, struct or variant being serialised.
pub(crate) struct Compound<'f, C> {
    inner: C,
    found: &'f Found,
    /// The variant's name, for a tuple or struct variant (externally tagged, it is a key).
    variant: Option<&'static str>,
}

impl<'f, C> Compound<'f, C> {
    fn new(inner: C, found: &'f Found, variant: Option<&'static str>) -> Self {
        Compound {
            inner,
            found,
            variant,
        }
    }

    fn guarded<'a, T: ?Sized>(&self, value: &'a T) -> Guarded<'a, 'f, T> {
        Guarded {
            value,
            found: self.found,
        }
    }

    /// On the way out of a value of this compound at `segment`, and of the variant, if any.
    fn unwind<E>(&self, segment: Segment) -> impl FnOnce(E) -> E + '_ {
        move |error| {
            let error = self.found.unwind(segment)(error);
            match self.variant {
                Some(variant) => self.found.unwind(Segment::Key(variant))(error),
                None => error,
            }
        }
    }
}

macro_rules! forward {
    ($($method:ident($($arg:ident: $type:ty),*);)*) => {
        $(
            fn $method(self, $($arg: $type),*) -> Result<Self::Ok, Self::Error> {
                self.inner.$method($($arg),*)
            }
        )*
    };
}

impl<'f, S: Serializer> Serializer for Guard<'f, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<'f, S::SerializeSeq>;
    type SerializeTuple = Compound<'f, S::SerializeTuple>;
    type SerializeTupleStruct = Compound<'f, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<'f, S::SerializeTupleVariant>;
    type SerializeMap = Compound<'f, S::SerializeMap>;
    type SerializeStruct = Compound<'f, S::SerializeStruct>;
    type SerializeStructVariant = Compound<'f, S::SerializeStructVariant>;

    forward! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_i64(self, v: i64) -> Result<S::Ok, S::Error> {
        if v.unsigned_abs() > LIMIT {
            let reason = if v < 0 { TOO_SMALL } else { TOO_LARGE };
            return Err(self.found.record(v, reason));
        }
        self.inner.serialize_i64(v)
    }

    fn serialize_u64(self, v: u64) -> Result<S::Ok, S::Error> {
        if v > LIMIT {
            return Err(self.found.record(v, TOO_LARGE));
        }
        self.inner.serialize_u64(v)
    }

    fn serialize_i128(self, v: i128) -> Result<S::Ok, S::Error> {
        if v.unsigned_abs() > u128::from(LIMIT) {
            let reason = if v < 0 { TOO_SMALL } else { TOO_LARGE };
            return Err(self.found.record(v, reason));
        }
        self.inner.serialize_i128(v)
    }

    fn serialize_u128(self, v: u128) -> Result<S::Ok, S::Error> {
        if v > u128::from(LIMIT) {
            return Err(self.found.record(v, TOO_LARGE));
        }
        self.inner.serialize_u128(v)
    }

    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        if !v.is_finite() {
            return Err(self.found.record(v, NOT_FINITE));
        }
        self.inner.serialize_f32(v)
    }

    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        if !v.is_finite() {
            return Err(self.found.record(v, NOT_FINITE));
        }
        self.inner.serialize_f64(v)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        let found = self.found;
        self.inner.serialize_some(&Guarded { value, found })
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let found = self.found;
        self.inner
            .serialize_newtype_struct(name, &Guarded { value, found })
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let found = self.found;
        self.inner
            .serialize_newtype_variant(name, index, variant, &Guarded { value, found })
            .map_err(found.unwind(Segment::Key(variant)))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        let found = self.found;
        Ok(Compound::new(self.inner.serialize_seq(len)?, found, None))
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        let found = self.found;
        Ok(Compound::new(self.inner.serialize_tuple(len)?, found, None))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        let found = self.found;
        Ok(Compound::new(
            self.inner.serialize_tuple_struct(name, len)?,
            found,
            None,
        ))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        let found = self.found;
        let inner = self
            .inner
            .serialize_tuple_variant(name, index, variant, len)?;
        Ok(Compound::new(inner, found, Some(variant)))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        let found = self.found;
        Ok(Compound::new(self.inner.serialize_map(len)?, found, None))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let found = self.found;
        Ok(Compound::new(
            self.inner.serialize_struct(name, len)?,
            found,
            None,
        ))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let found = self.found;
        let inner = self
            .inner
            .serialize_struct_variant(name, index, variant, len)?;
        Ok(Compound::new(inner, found, Some(variant)))
    }

    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.collect_str(value)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! sequence {
    ($trait:ident, $method:ident) => {
        impl<C: $trait> $trait for Compound<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
                let guarded = self.guarded(value);
                let result = self.inner.$method(&guarded);
                result.map_err(self.unwind(Segment::Element))
            }

            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    };
}

sequence!(SerializeSeq, serialize_element);
sequence!(SerializeTuple, serialize_element);
sequence!(SerializeTupleStruct, serialize_field);
sequence!(SerializeTupleVariant, serialize_field);

macro_rules! fields {
    ($trait:ident) => {
        impl<C: $trait> $trait for Compound<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;

            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), C::Error> {
                let guarded = self.guarded(value);
                let result = self.inner.serialize_field(key, &guarded);
                result.map_err(self.unwind(Segment::Key(key)))
            }

            fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
                self.inner.skip_field(key)
            }

            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    };
}

fields!(SerializeStruct);
fields!(SerializeStructVariant);

impl<C: SerializeMap> SerializeMap for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    /// Keys are written as they are: a map's keys are JSON strings, whatever their Rust type.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        self.inner.serialize_key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        let guarded = self.guarded(value);
        let result = self.inner.serialize_value(&guarded);
        result.map_err(self.unwind(Segment::MapValue))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::{Found, Guard};

    /// `value` as `serde_json` writes it through a guard, or what the guard refused.
    fn guarded<T: Serialize>(value: &T) -> Result<String, String> {
        let found = Found::default();
        let mut out = Vec::new();
        let result = value.serialize(Guard::new(
            &mut serde_json::Serializer::new(&mut out),
            &found,
        ));
        match (result, found.take()) {
            (Ok(()), None) => Ok(String::from_utf8(out).unwrap()),
            (Err(_), Some(problem)) => Err(problem.to_string()),
            (result, problem) => panic!("{result:?} with {problem:?}"),
        }
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Event {
        duration_ms: u64,
        stages: Vec<Stage>,
        extra: BTreeMap<String, f64>,
        outcome: Outcome,
        signed: Option<i64>,
        pair: (u8, i128),
    }

    #[derive(Serialize)]
    struct Stage {
        ms: u128,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    enum Outcome {
        Done { count: u64 },
        Code(f32),
        Both(u64, u64),
    }

    fn event() -> Event {
        Event {
            duration_ms: 9_007_199_254_740_991,
            stages: vec![Stage { ms: 1 }, Stage { ms: 2 }],
            extra: BTreeMap::from([("a".to_owned(), 1.5)]),
            outcome: Outcome::Done { count: 3 },
            signed: Some(-9_007_199_254_740_991),
            pair: (1, 2),
        }
    }

    #[test]
    fn what_the_schema_accepts_is_written_as_serde_json_writes_it() {
        let event = event();
        assert_eq!(guarded(&event), Ok(serde_json::to_string(&event).unwrap()));
        assert_eq!(
            guarded(&f64::MAX),
            Ok(serde_json::to_string(&f64::MAX).unwrap())
        );
        assert_eq!(
            guarded(&BTreeMap::from([(u64::MAX, 1)])),
            Ok(r#"{"18446744073709551615":1}"#.into())
        );
    }

    #[test]
    fn refuses_each_number_out_of_range_and_says_where() {
        type Case = (fn(&mut Event), &'static str);
        let cases: [Case; 9] = [
            (
                |event| event.duration_ms = u64::MAX,
                "`eventData.durationMs` is 18446744073709551615, which its schema refuses: \
                 integers are at most 2^53 − 1 (9007199254740991)",
            ),
            (
                |event| event.duration_ms = 9_007_199_254_740_992,
                "`eventData.durationMs` is 9007199254740992",
            ),
            (
                |event| event.stages[1].ms = u128::MAX,
                "`eventData.stages[].ms` is 340282366920938463463374607431768211455",
            ),
            (
                |event| {
                    event.extra.insert("b".into(), f64::NAN);
                },
                "`eventData.extra.*` is NaN, which its schema refuses: numbers are finite",
            ),
            (
                |event| event.outcome = Outcome::Done { count: u64::MAX },
                "`eventData.outcome.done.count` is 18446744073709551615",
            ),
            (
                |event| event.outcome = Outcome::Code(f32::NEG_INFINITY),
                "`eventData.outcome.code` is -inf",
            ),
            (
                |event| event.outcome = Outcome::Both(1, u64::MAX),
                "`eventData.outcome.both[]` is 18446744073709551615",
            ),
            (
                |event| event.signed = Some(i64::MIN),
                "`eventData.signed` is -9223372036854775808, which its schema refuses: integers \
                 are at least −(2^53 − 1)",
            ),
            (
                |event| event.pair.1 = -9_007_199_254_740_992,
                "`eventData.pair[]` is -9007199254740992",
            ),
        ];
        for (change, expected) in cases {
            let mut event = event();
            change(&mut event);
            let refused = guarded(&event).unwrap_err();
            assert!(
                refused.starts_with(expected),
                "{refused}\nexpected {expected}"
            );
        }
        assert!(
            guarded(&f64::INFINITY)
                .unwrap_err()
                .starts_with("`eventData` is inf")
        );
    }
}
