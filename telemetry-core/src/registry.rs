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
//! ```
//! let events = telemetry_core::registry::events().expect("no duplicate events");
//! assert!(events.iter().any(|event| event.event_type() == "StageBuildFinished"));
//! ```

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};

use crate::encode::EnvelopeEncoder;
use crate::{TelemetryEvent, envelope};

/// Hands each example envelope, serialised compactly, to the visitor.
type EncodeExamples = fn(&mut dyn FnMut(&[u8])) -> serde_json::Result<()>;

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
    encode_examples: EncodeExamples,
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
            encode_examples: encode_examples::<E>,
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
    /// # Errors
    ///
    /// When an example does not serialise to JSON (a map with non-string keys, say).
    pub fn example_payloads(&self) -> serde_json::Result<Vec<String>> {
        let mut payloads = Vec::new();
        (self.encode_examples)(&mut |compact| payloads.push(pretty_json(compact)))?;
        Ok(payloads)
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

/// Serialises each example envelope of `E` as `emit` would (same code, so no extra
/// instantiation in a program that emits `E`) and hands it to `visit`, compact.
fn encode_examples<E: TelemetryEvent>(visit: &mut dyn FnMut(&[u8])) -> serde_json::Result<()> {
    let mut buffer = Vec::new();
    for example in E::EXAMPLES {
        let envelope = example();
        let encoder = EnvelopeEncoder::new(&envelope.context);
        buffer.clear();
        encoder.encode(envelope.ts, &envelope.event, &mut buffer)?;
        visit(&buffer);
    }
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

/// Every registered event, sorted by `eventType` then `schemaVersion`.
///
/// # Errors
///
/// When two types claim the same `eventType` at the same `schemaVersion`: consumers could not
/// tell their payloads apart.
#[cfg(feature = "registry")]
pub fn events() -> Result<Vec<&'static EventRegistration>, DuplicateEvents> {
    sorted_unique(iter())
}

/// Sorts registrations and rejects duplicate `(eventType, schemaVersion)` pairs.
#[cfg(feature = "registry")]
fn sorted_unique(
    registrations: impl IntoIterator<Item = &'static EventRegistration>,
) -> Result<Vec<&'static EventRegistration>, DuplicateEvents> {
    let mut by_key: std::collections::BTreeMap<(&str, u32), Vec<&'static EventRegistration>> =
        std::collections::BTreeMap::new();
    for registration in registrations {
        by_key
            .entry((registration.event_type, registration.schema_version))
            .or_default()
            .push(registration);
    }
    let mut duplicates = Vec::new();
    let mut unique = Vec::with_capacity(by_key.len());
    for ((event_type, schema_version), mut claimants) in by_key {
        if claimants.len() == 1 {
            unique.extend(claimants);
        } else {
            let mut rust_paths: Vec<_> = claimants.drain(..).map(|r| r.rust_path).collect();
            rust_paths.sort_unstable();
            duplicates.push(Duplicate {
                event_type,
                schema_version,
                rust_paths,
            });
        }
    }
    if duplicates.is_empty() {
        Ok(unique)
    } else {
        Err(DuplicateEvents { duplicates })
    }
}

/// Two or more types claim the same `(eventType, schemaVersion)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateEvents {
    duplicates: Vec<Duplicate>,
}

/// One `(eventType, schemaVersion)` pair and the types that claim it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The `eventType`.
    pub event_type: &'static str,
    /// The `schemaVersion`.
    pub schema_version: u32,
    /// The Rust types that claim it, sorted.
    pub rust_paths: Vec<&'static str>,
}

impl DuplicateEvents {
    /// Each duplicated pair, sorted by `eventType` then `schemaVersion`.
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
                "event `{}` v{} is defined by more than one type: {}",
                duplicate.event_type,
                duplicate.schema_version,
                duplicate
                    .rust_paths
                    .iter()
                    .map(|path| format!("`{path}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        f.write_str("; give each a distinct `event_type` or `version`")
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
