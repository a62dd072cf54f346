//! The contract events are checked against: one program's generated files, read from the folder
//! `cargo xtask schema` writes them to (`schemas/`). The schemas are the contract, not the Rust
//! types: the receiver checks versions its own build never knew, for any program.
//!
//! - `telemetry.schema.json`, the stream schema: every event of every version. An event of a
//!   version it names is checked against that version's own definition, the one the stream's
//!   `if`/`then` would select, compiled the first time an event of the version arrives; any other
//!   against the whole stream schema;
//! - `catalogue.json`: the name of the program's spans, and every version still sent with the
//!   paths of its fields, for the live check's coverage.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use crate::accept::document::{Document, InPlace};
use crate::accept::failure::{SchemaError, capped};
use crate::error::Error;

/// The schema of one version's definition alone, and its validator once compiled (`None` when
/// it does not compile alone: the whole stream schema checks it then).
type VersionSchema = (Value, OnceLock<Option<Validator>>);

/// A validator of events read in place.
type Validator = jsonschema::Validator<InPlace>;

/// `schema` compiled, as JSON Schema 2020-12 (what the generator writes), to check events read
/// in place.
fn compile(schema: &Value) -> Result<Validator, jsonschema::ValidationError<'static>> {
    jsonschema::options_for::<InPlace>()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
}

/// One program's generated schemas, ready to check events with.
#[derive(Debug)]
pub struct Contract {
    stream: Validator,
    /// Each version the stream schema names, with the schema of its definition alone, and its
    /// validator once compiled.
    by_version: BTreeMap<(String, i64), VersionSchema>,
    span_names: Vec<String>,
    /// Every version the catalogue records as sent, with the paths of its fields.
    versions: BTreeMap<(String, u32), Vec<String>>,
    /// Versions the catalogue records that the program no longer sends: accepted, not covered.
    retired: Vec<(String, u32)>,
}

impl Contract {
    /// The contract in `dir`, the folder holding `telemetry.schema.json` and `catalogue.json`.
    ///
    /// # Errors
    ///
    /// When either file is missing or unreadable, the stream schema does not compile, or the
    /// catalogue is not one.
    pub fn load(dir: &Path) -> Result<Self, Error> {
        let read = |name: &str| -> Result<Value, Error> {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(|error| {
                Error::new(format!(
                    "cannot read {} ({error}); --schemas names the folder `cargo xtask schema` \
                     writes, which holds telemetry.schema.json and catalogue.json",
                    path.display()
                ))
            })?;
            serde_json::from_str(&text)
                .map_err(|error| Error::new(format!("{} is not JSON: {error}", path.display())))
        };
        let stream_schema = read("telemetry.schema.json")?;
        let stream = compile(&stream_schema).map_err(|error| {
            Error::new(format!("telemetry.schema.json does not compile: {error}"))
        })?;
        let by_version = versions_of(&stream_schema)
            .into_iter()
            .map(|(key, schema)| (key, (schema, OnceLock::new())))
            .collect();
        let catalogue = read("catalogue.json")?;
        let span_names = catalogue
            .get("spanName")
            .and_then(Value::as_str)
            .map(|name| vec![name.to_owned()])
            .unwrap_or_default();
        let mut versions = BTreeMap::new();
        let mut retired = Vec::new();
        let events = catalogue
            .get("events")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::new("catalogue.json has no `events` array"))?;
        for event in events {
            let key = event
                .get("eventType")
                .and_then(Value::as_str)
                .zip(
                    event
                        .get("schemaVersion")
                        .and_then(Value::as_u64)
                        .and_then(|version| u32::try_from(version).ok()),
                )
                .ok_or_else(|| {
                    Error::new("catalogue.json has an event without `eventType` or `schemaVersion`")
                })?;
            let key = (key.0.to_owned(), key.1);
            if event.get("sent").and_then(Value::as_bool) == Some(false) {
                retired.push(key);
                continue;
            }
            let fields = event
                .get("fields")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|field| field.get("path").and_then(Value::as_str))
                .map(str::to_owned)
                .collect();
            versions.insert(key, fields);
        }
        Ok(Contract {
            stream,
            by_version,
            span_names,
            versions,
            retired,
        })
    }

    /// The contract, taking spans of these names (`--span-name`) instead of the catalogue's.
    #[must_use]
    pub fn with_span_names(mut self, names: Vec<String>) -> Self {
        if !names.is_empty() {
            self.span_names = names;
        }
        self
    }

    /// The names of the spans that carry the program's events.
    pub fn span_names(&self) -> &[String] {
        &self.span_names
    }

    /// Whether a span of this name carries an event of the program.
    pub(crate) fn takes(&self, span_name: &str) -> bool {
        self.span_names.iter().any(|name| name == span_name)
    }

    /// Whether the catalogue records this version of this event.
    pub(crate) fn knows(&self, event_type: &str, schema_version: i64) -> bool {
        let Ok(version) = u32::try_from(schema_version) else {
            return false;
        };
        let key = (event_type.to_owned(), version);
        self.versions.contains_key(&key) || self.retired.contains(&key)
    }

    /// Every version the program sends, with the paths of its fields.
    pub(crate) fn sent_versions(&self) -> &BTreeMap<(String, u32), Vec<String>> {
        &self.versions
    }

    /// The first [`MAX_ERRORS`](Self::MAX_ERRORS) ways `envelope`, of the version
    /// `(event_type, schema_version)`, breaks the stream schema, each message at most
    /// [`MAX_MESSAGE_CHARS`](Self::MAX_MESSAGE_CHARS) long, and how many ways there are in all;
    /// empty when it is valid. An event with four million wrong items costs a few errors and a
    /// count, not four million messages.
    pub(crate) fn violations(
        &self,
        event_type: &str,
        schema_version: i64,
        envelope: &Document<'_>,
    ) -> (Vec<SchemaError>, usize) {
        let own = self
            .by_version
            .get(&(event_type.to_owned(), schema_version))
            .and_then(|(schema, validator)| {
                validator.get_or_init(|| compile(schema).ok()).as_ref()
            });
        let validator = own.unwrap_or(&self.stream);
        // Most events are valid: telling so is far cheaper than collecting what is wrong.
        if validator.is_valid(envelope) {
            return (Vec::new(), 0);
        }
        let mut errors = Vec::new();
        let mut count = 0;
        for error in validator.iter_errors(envelope) {
            count += 1;
            if errors.len() < Self::MAX_ERRORS {
                errors.push(SchemaError {
                    pointer: capped(&error.instance_path().to_string(), Self::MAX_MESSAGE_CHARS),
                    keyword: error.kind().keyword().to_owned(),
                    message: capped(&error.to_string(), Self::MAX_MESSAGE_CHARS),
                });
            }
        }
        (errors, count)
    }

    /// The most errors a failure record keeps of one event.
    pub const MAX_ERRORS: usize = 8;
    /// The most characters of an error's message (and pointer) a failure record keeps: a
    /// message that quotes a long value says its length instead of repeating it whole.
    pub const MAX_MESSAGE_CHARS: usize = 512;
}

/// For each version the stream schema selects with `if` (`eventType` and `schemaVersion`
/// constants) and `then` (a `$ref` to its definition), a schema of that definition alone, with
/// the stream's definitions it may refer to.
fn versions_of(stream: &Value) -> BTreeMap<(String, i64), Value> {
    let definitions = stream.get("$defs").cloned().unwrap_or(Value::Null);
    let mut versions = BTreeMap::new();
    for branch in stream
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let constant = |key: &str| branch.pointer(&format!("/if/properties/{key}/const"));
        let reference = branch.pointer("/then/$ref").and_then(Value::as_str);
        let event_type = constant("eventType").and_then(Value::as_str);
        let version = constant("schemaVersion").and_then(Value::as_i64);
        if let (Some(reference), Some(event_type), Some(version)) = (reference, event_type, version)
            && reference.starts_with("#/$defs/")
        {
            versions.insert(
                (event_type.to_owned(), version),
                serde_json::json!({
                    "$schema": stream.get("$schema"),
                    "$defs": definitions,
                    "$ref": reference,
                }),
            );
        }
    }
    versions
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{Contract, versions_of};

    #[test]
    fn each_version_is_checked_against_its_own_definition_the_stream_selects() {
        let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
        let stream: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(schemas.join("telemetry.schema.json")).unwrap(),
        )
        .unwrap();
        let versions = versions_of(&stream);
        assert_eq!(versions.len(), 7);
        assert_eq!(
            versions[&("BuildFinished".to_owned(), 2)]["$ref"],
            "#/$defs/BuildFinishedV2"
        );
        let contract = Contract::load(&schemas).unwrap();
        let mut envelope: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(schemas.join("../examples/BuildStarted.v2.json")).unwrap(),
        )
        .unwrap();
        let check = |version: (&str, i64), envelope: &serde_json::Value| {
            let text = envelope.to_string();
            contract
                .violations(version.0, version.1, &serde_json::from_str(&text).unwrap())
                .0
        };
        assert!(check(("BuildStarted", 2), &envelope).is_empty());
        envelope["eventData"]["imagesCount"] = "three".into();
        // The version's own definition and the whole stream find the same error.
        let own = check(("BuildStarted", 2), &envelope);
        let stream = check(("Unknown", 1), &envelope);
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].pointer, "/eventData/imagesCount");
        assert_eq!(stream, own);
    }
}
