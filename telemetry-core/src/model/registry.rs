//! Every event type linked into the program, registered by `#[derive(TelemetryEvent)]`.
//!
//! Registration happens at link time (with the `inventory` crate), so tools list events without
//! a hand-kept list. A binary only sees events of crates it links: a tool that never names the
//! crate defining its events should write `use that_crate as _;`.
//!
//! Listing events needs the `registry` feature (on by default; `telemetry-schema` turns it on).
//! A program that only sends events can build without it: registering compiles, for each event,
//! what tools need of it, which the program itself never uses.
//!
//! ```standalone_crate
//! // Its own binary: merged doctests would register every doctest's events together.
//! use telemetry_core::{Envelope, TelemetryEvent};
//!
//! /// A deployment finished.
//! #[derive(serde::Serialize, telemetry_core::JsonSchema, TelemetryEvent)]
//! #[telemetry(version = 1, example = deployed)]
//! pub struct Deployed {
//!     /// Whether it worked.
//!     #[telemetry(class = system_metadata, purpose = feature_insight)]
//!     pub success: bool,
//! }
//! fn deployed() -> Envelope<Deployed> {
//!     Envelope::example("acme deploy", Deployed { success: true })
//! }
//!
//! let events = telemetry_core::registry::events().expect("one type per event");
//! assert!(events.iter().any(|event| event.event_type() == "Deployed"));
//! ```

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};

use super::classify::Field;
use super::encode::EnvelopeEncoder;
use super::envelope;
use super::event::TelemetryEvent;
use super::hashed::HashKey;

/// Appends the example envelope at an index (below the event's example count), serialised
/// compactly, to the buffer.
type EncodeExample = fn(usize, &mut Vec<u8>) -> serde_json::Result<()>;

/// How many times each example is rendered to tell whether its bytes are fixed. A `HashMap` of
/// two keys (each map instance hashes with keys of its own) comes out in the same order 16
/// times in a row with a chance of 1 in 32,768; random values never do.
const RENDERINGS: usize = 16;

/// One event type (one `eventType` at one `schemaVersion`), with what tools need of it.
///
/// It holds only pointers to code the event's derives already generated, plus one small
/// function that serialises the examples the way [`emit`](crate::Telemetry::emit) does, so that
/// registering adds little to a crate's build.
pub struct EventRegistration {
    event_type: &'static str,
    schema_version: u32,
    unreleased: bool,
    rust_path: &'static str,
    schema_name: fn() -> Cow<'static, str>,
    event_data_schema: fn(&mut SchemaGenerator) -> Schema,
    example_count: usize,
    encode_example: EncodeExample,
    fields: &'static [Field],
}

#[cfg(feature = "registry")]
inventory::collect!(EventRegistration);

impl EventRegistration {
    /// The registration of `E`; `rust_path` names the type in messages.
    #[doc(hidden)]
    pub const fn of<E: TelemetryEvent>(rust_path: &'static str) -> Self {
        EventRegistration {
            event_type: E::EVENT_TYPE,
            schema_version: E::SCHEMA_VERSION,
            unreleased: E::UNRELEASED,
            rust_path,
            schema_name: E::schema_name,
            event_data_schema: E::json_schema,
            example_count: E::EXAMPLES.len(),
            encode_example: encode_example::<E>,
            fields: E::FIELDS,
        }
    }

    /// The `eventType`.
    pub fn event_type(&self) -> &'static str {
        self.event_type
    }

    /// The `schemaVersion`.
    pub fn schema_version(&self) -> u32 {
        self.schema_version
    }

    /// Whether the version is still being designed; see [`TelemetryEvent::UNRELEASED`].
    pub fn unreleased(&self) -> bool {
        self.unreleased
    }

    /// The Rust type, as `module::path::Name`.
    pub fn rust_path(&self) -> &'static str {
        self.rust_path
    }

    /// The classification of every field of `eventData`; see [`TelemetryEvent::FIELDS`].
    pub fn fields(&self) -> &'static [Field] {
        self.fields
    }

    /// The JSON Schema of the whole envelope carrying this event, generated with `settings`:
    /// the same as `settings.into_generator().into_root_schema_for::<Envelope<E>>()`, without
    /// instantiating that for every event type.
    pub fn envelope_schema(&self, settings: SchemaSettings) -> Schema {
        let meta_schema = settings.meta_schema.clone();
        let mut generator = settings.into_generator();
        let mut schema = envelope::envelope_schema(
            &mut generator,
            self.event_type,
            self.schema_version,
            &mut |generator| self.event_data_subschema(generator),
        );
        let root = schema.ensure_object();
        root.entry("title")
            .or_insert_with(|| format!("{}.v{}", self.event_type, self.schema_version).into());
        if let Some(meta_schema) = meta_schema {
            root.insert("$schema".into(), meta_schema.into());
        }
        let definitions = generator.take_definitions(false);
        if !definitions.is_empty() {
            root.insert("$defs".into(), definitions.into());
        }
        for transform in generator.transforms_mut() {
            transform.transform(&mut schema);
        }
        schema
    }

    /// What `generator.subschema_for::<E>()` gives: the event's schema among the definitions,
    /// under its name, and a reference to it. A name already taken (by another type) gets the
    /// next free `Name2`, `Name3`..., as schemars would name it.
    fn event_data_subschema(&self, generator: &mut SchemaGenerator) -> Schema {
        let name = (self.schema_name)();
        let schema = (self.event_data_schema)(generator);
        let mut chosen = name.to_string();
        let mut suffix = 2;
        while generator.definitions().contains_key(&chosen) {
            chosen = format!("{name}{suffix}");
            suffix += 1;
        }
        let reference = format!("#/$defs/{}", encode_reference(&chosen));
        generator
            .definitions_mut()
            .insert(chosen, schema.to_value());
        Schema::new_ref(reference)
    }

    /// The documented example envelopes, serialised as pretty JSON (keys in wire order).
    ///
    /// Each example is rendered several times, and must give the same bytes every time: files
    /// generated from it would otherwise change on every run.
    ///
    /// # Errors
    ///
    /// When an example does not serialise to JSON (a map with non-string keys, say), or its
    /// bytes differ between renderings (a `HashMap`, a random or time-dependent value).
    pub fn example_payloads(&self) -> Result<Vec<String>, ExampleError> {
        let mut first = Vec::with_capacity(self.example_count);
        for index in 0..self.example_count {
            first.push(self.encode(index)?);
        }
        for _ in 1..RENDERINGS {
            for (index, expected) in first.iter().enumerate() {
                if self.encode(index)? != *expected {
                    return Err(ExampleError::Nondeterministic { index });
                }
            }
        }
        Ok(first.iter().map(|compact| pretty_json(compact)).collect())
    }

    /// Example `index` (below `example_count`), serialised compactly.
    fn encode(&self, index: usize) -> Result<Vec<u8>, ExampleError> {
        let mut compact = Vec::new();
        // Hashed values of examples are keyed with the example key: the same on every run.
        HashKey::EXAMPLE
            .scope(|| (self.encode_example)(index, &mut compact))
            .map_err(|error| ExampleError::Serialize { index, error })?;
        Ok(compact)
    }
}

/// Why an event's examples cannot be documented.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExampleError {
    /// An example does not serialise to JSON.
    Serialize {
        /// Which example, from 0.
        index: usize,
        /// What `serde_json` said.
        error: serde_json::Error,
    },
    /// An example's bytes differ from one rendering to the next.
    Nondeterministic {
        /// Which example, from 0.
        index: usize,
    },
}

impl fmt::Display for ExampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExampleError::Serialize { index, error } => {
                write!(
                    f,
                    "example {} does not serialise to JSON: {error}",
                    index + 1
                )
            }
            ExampleError::Nondeterministic { index } => write!(
                f,
                "example {} gives different bytes each time it is rendered, so its files would \
                 change on every run; use a `BTreeMap` instead of a `HashMap`, and fixed values \
                 instead of random or current ones (`Envelope::example` gives a fixed context)",
                index + 1
            ),
        }
    }
}

impl std::error::Error for ExampleError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExampleError::Serialize { error, .. } => Some(error),
            ExampleError::Nondeterministic { .. } => None,
        }
    }
}

impl fmt::Debug for EventRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventRegistration")
            .field("event_type", &self.event_type)
            .field("schema_version", &self.schema_version)
            .field("unreleased", &self.unreleased)
            .field("rust_path", &self.rust_path)
            .finish_non_exhaustive()
    }
}

/// Appends example `index` of `E` (below `E::EXAMPLES.len()`, which [`EventRegistration::of`]
/// records) to `out`, serialised as `emit` serialises it: the same code, so no extra
/// instantiation in a program that emits `E`. It is the only code generic over the event that
/// registering adds, so it stays this small: 200 events build measurably faster than with a loop,
/// closures and a key scope in here (see `BENCHMARKS.md`).
fn encode_example<E: TelemetryEvent>(index: usize, out: &mut Vec<u8>) -> serde_json::Result<()> {
    // Built-in slice indexing: no generic `get` to instantiate per event. The caller's index is
    // below the length, so the bounds check never fails.
    let envelope = E::EXAMPLES[index]();
    EnvelopeEncoder::new(&envelope.context).encode(envelope.ts, &envelope.event, out)?;
    Ok(())
}

/// Escapes a definition name for a `$ref`, as schemars does: JSON Pointer's `~` and `/`, and
/// percent-encoding for what a URI fragment cannot hold.
fn encode_reference(name: &str) -> Cow<'_, str> {
    let plain = |byte: u8| matches!(byte, b'!' | b'$' | b'&'..=b'.' | b'0'..=b';' | b'=' | b'?'..=b'Z' | b'_' | b'a'..=b'z');
    if name.bytes().all(plain) {
        return Cow::Borrowed(name);
    }
    let mut encoded = String::with_capacity(name.len() + 8);
    for byte in name.bytes() {
        match byte {
            b'~' => encoded.push_str("~0"),
            b'/' => encoded.push_str("~1"),
            byte if plain(byte) => encoded.push(char::from(byte)),
            byte => {
                let _ = write!(encoded, "%{byte:02X}");
            }
        }
    }
    Cow::Owned(encoded)
}

/// Re-indents compact JSON exactly as `serde_json::to_string_pretty` writes it (two spaces,
/// `": "`, empty containers as `{}` and `[]`), keeping the keys in their order. `compact` must be
/// what `serde_json` wrote.
pub(crate) fn pretty_json(compact: &[u8]) -> String {
    let mut out = Vec::with_capacity(compact.len() * 2);
    let mut depth = 0_usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.resize(out.len() + 2 * depth, b' ');
    };
    let mut bytes = compact.iter().copied().peekable();
    while let Some(byte) = bytes.next() {
        if in_string {
            out.push(byte);
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => {
                in_string = true;
                out.push(byte);
            }
            b'{' | b'[' => {
                out.push(byte);
                let close = if byte == b'{' { b'}' } else { b']' };
                if bytes.peek() == Some(&close) {
                    out.push(close);
                    bytes.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(byte);
            }
            b',' => {
                out.push(byte);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            _ => out.push(byte),
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Every registered event, in no particular order, duplicates included.
#[cfg(feature = "registry")]
pub fn iter() -> impl Iterator<Item = &'static EventRegistration> {
    inventory::iter::<EventRegistration>.into_iter()
}

/// Every registered event, sorted by `eventType`.
///
/// # Errors
///
/// When more than one type claims an `eventType`, in any versions: consumers could not tell
/// their payloads apart, and an event's versions are one type's history.
#[cfg(feature = "registry")]
pub fn events() -> Result<Vec<&'static EventRegistration>, DuplicateEvents> {
    sorted_unique(iter())
}

/// Sorts registrations and rejects an `eventType` claimed by more than one registration.
#[cfg(feature = "registry")]
fn sorted_unique(
    registrations: impl IntoIterator<Item = &'static EventRegistration>,
) -> Result<Vec<&'static EventRegistration>, DuplicateEvents> {
    let mut by_type: std::collections::BTreeMap<&str, Vec<&'static EventRegistration>> =
        std::collections::BTreeMap::new();
    for registration in registrations {
        by_type
            .entry(registration.event_type)
            .or_default()
            .push(registration);
    }
    let mut duplicates = Vec::new();
    let mut unique = Vec::with_capacity(by_type.len());
    for (event_type, claimants) in by_type {
        if let [one] = claimants.as_slice() {
            unique.push(*one);
        } else {
            let mut claimants: Vec<(&'static str, u32)> = claimants
                .iter()
                .map(|r| (r.rust_path, r.schema_version))
                .collect();
            claimants.sort_unstable();
            duplicates.push(Duplicate {
                event_type,
                claimants,
            });
        }
    }
    if duplicates.is_empty() {
        Ok(unique)
    } else {
        Err(DuplicateEvents { duplicates })
    }
}

/// Two or more types claim the same `eventType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateEvents {
    duplicates: Vec<Duplicate>,
}

/// One `eventType` and the types that claim it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The `eventType`.
    pub event_type: &'static str,
    /// Each claiming type, as `module::path::Name`, with the `schemaVersion` it defines; sorted.
    pub claimants: Vec<(&'static str, u32)>,
}

impl DuplicateEvents {
    /// Each `eventType` claimed more than once, sorted.
    pub fn duplicates(&self) -> &[Duplicate] {
        &self.duplicates
    }
}

impl fmt::Display for DuplicateEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, duplicate) in self.duplicates.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(
                f,
                "event `{}` is defined by more than one type: {}",
                duplicate.event_type,
                duplicate
                    .claimants
                    .iter()
                    .map(|(path, version)| format!("`{path}` (v{version})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        f.write_str(
            "; an event type belongs to one Rust type, which defines its newest version (older \
             versions live on in the published files): give the others an `event_type` of their own",
        )
    }
}

impl std::error::Error for DuplicateEvents {}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::{encode_reference, pretty_json};
    use crate::test_support::Rng;

    fn assert_pretty_as_serde_json(value: &Value) {
        let compact = serde_json::to_vec(value).unwrap();
        assert_eq!(
            pretty_json(&compact),
            serde_json::to_string_pretty(value).unwrap(),
            "{value}"
        );
    }

    #[test]
    fn pretty_printing_matches_serde_json() {
        for value in [
            json!({}),
            json!([]),
            json!({ "a": {}, "b": [], "c": [{}], "d": [[]], "e": "", "f": null }),
            json!({ "brackets in strings": "{[]}:,", "escapes": "\"\\\n\u{0}\u{2028}" }),
            json!([1, -2.5, true, false, null, "x", { "nested": [1, { "deep": [] }] }]),
        ] {
            assert_pretty_as_serde_json(&value);
        }
    }

    fn random_value(rng: &mut Rng, depth: u32) -> Value {
        match rng.below(if depth > 3 { 5 } else { 7 }) {
            0 => Value::Null,
            1 => Value::Bool(rng.bool()),
            2 => Value::from(rng.next()),
            3 => Value::from(-i64::try_from(rng.below(1 << 40)).unwrap_or(0)),
            4 => Value::String(rng.string(12)),
            5 => Value::Array(
                (0..rng.below(4))
                    .map(|_| random_value(rng, depth + 1))
                    .collect(),
            ),
            _ => Value::Object(
                (0..rng.below(4))
                    .map(|_| (rng.string(6), random_value(rng, depth + 1)))
                    .collect::<Map<_, _>>(),
            ),
        }
    }

    #[test]
    fn pretty_printing_random_documents_matches_serde_json() {
        let mut rng = Rng::new(0x5eed);
        for _ in 0..3000 {
            assert_pretty_as_serde_json(&random_value(&mut rng, 0));
        }
    }

    #[test]
    fn references_are_escaped_as_schemars_escapes_them() {
        assert_eq!(encode_reference("StageBuildFinished"), "StageBuildFinished");
        assert_eq!(encode_reference("Foo_for_Bar"), "Foo_for_Bar");
        assert_eq!(encode_reference("a/b~c d"), "a~1b~0c%20d");
    }
}
