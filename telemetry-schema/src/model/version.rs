//! [`EventVersion`]: one version of one event, the unit every generated file is made of.

use serde_json::Value;
use telemetry_core::TelemetryEvent;
use telemetry_core::registry::EventRegistration;

use super::adapt::adapt_schema;
use super::amendment::Amendment;
use super::fields::{self, Classifications};
use super::key_order::KeyOrder;
use super::schema::{colliding_definitions, registered_event_schema};
use super::walk::walk;
use crate::config::Config;
use crate::error::Error;
use crate::paths::version_key;

/// One version of one event: what every generated artefact is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct EventVersion {
    /// The `eventType`.
    pub event_type: String,
    /// The `schemaVersion`.
    pub version: u32,
    /// Whether the version is still being designed.
    pub unreleased: bool,
    /// The envelope's schema, from [`event_schema`](crate::event_schema).
    pub schema: Value,
    /// The documented example payloads, pretty JSON with keys in wire order.
    pub examples: Vec<String>,
    /// The Rust type that defines it; `None` for a published version no type defines anymore.
    pub rust_path: Option<String>,
    /// The published schema file's text, kept byte for byte: published versions never change.
    pub published_schema_file: Option<String>,
    /// The published examples file's text, kept for versions no type defines anymore.
    pub published_examples_file: Option<String>,
    /// Changes made to the version since it was published, oldest first.
    pub amendments: Vec<Amendment>,
    /// The names its definitions were given in the stream schema (local name to stream name),
    /// as the catalogue recorded them; empty for a version never written.
    pub definition_names: std::collections::BTreeMap<String, String>,
    /// The class and purpose of every field, by path (`eventData.image`): from the code, or
    /// for a version no type defines anymore, as the catalogue recorded them.
    pub classifications: Classifications,
}

impl EventVersion {
    /// The version of a registered event, its schema (for `config`'s program) and examples
    /// generated.
    ///
    /// # Errors
    ///
    /// When an example does not serialise, differs between renderings or does not match the
    /// schema, or the schema has colliding definition names.
    pub fn from_registration(event: &EventRegistration, config: &Config) -> Result<Self, Error> {
        let version = Self::unchecked(event, config)?;
        version.check_examples(&mut |_| None)?;
        Ok(version)
    }

    /// The version of a registered event, its examples not yet checked against its schema.
    pub(crate) fn unchecked(event: &EventRegistration, config: &Config) -> Result<Self, Error> {
        let mut schema = registered_event_schema(event);
        adapt_schema(
            config,
            &mut schema,
            event.event_type(),
            event.schema_version(),
        );
        let collisions = colliding_definitions(&schema);
        if !collisions.is_empty() {
            return Err(Error::CollidingDefinitions {
                event: format!("{} v{}", event.event_type(), event.schema_version()),
                rust_path: event.rust_path().to_owned(),
                collisions,
            });
        }
        let undescribed: Vec<String> = walk(&schema, &schema, "", &KeyOrder::default(), true)
            .into_iter()
            .filter(|node| node.description(&schema).trim().is_empty())
            .map(|node| node.path)
            .collect();
        if !undescribed.is_empty() {
            return Err(Error::Undescribed {
                event: format!("{} v{}", event.event_type(), event.schema_version()),
                rust_path: event.rust_path().to_owned(),
                paths: undescribed,
            });
        }
        let (classifications, unclassified) = fields::classify(&schema, event.fields());
        if !unclassified.is_empty() {
            return Err(Error::Unclassified {
                event: format!("{} v{}", event.event_type(), event.schema_version()),
                rust_path: event.rust_path().to_owned(),
                paths: unclassified,
            });
        }
        let examples = event.example_payloads().map_err(|source| Error::Example {
            event: format!("{} v{}", event.event_type(), event.schema_version()),
            rust_path: event.rust_path().to_owned(),
            source,
        })?;
        Ok(EventVersion {
            event_type: event.event_type().to_owned(),
            version: event.schema_version(),
            unreleased: event.unreleased(),
            schema,
            examples,
            rust_path: Some(event.rust_path().to_owned()),
            published_schema_file: None,
            published_examples_file: None,
            amendments: Vec::new(),
            definition_names: std::collections::BTreeMap::new(),
            classifications,
        })
    }

    /// The version `E` defines, its schema and examples generated.
    ///
    /// # Errors
    ///
    /// As [`from_registration`](Self::from_registration).
    pub fn of<E: TelemetryEvent>(config: &Config) -> Result<Self, Error> {
        Self::from_registration(
            &EventRegistration::of::<E>(std::any::type_name::<E>()),
            config,
        )
    }

    /// Checks that every example payload is valid for the version's schema, with a validator
    /// independent of schemars: documentation that shows an invalid payload is worse than none.
    /// `known_valid` may vouch for a payload, sparing the compilation of the version's own
    /// validator; `None` means it cannot tell.
    pub(crate) fn check_examples(
        &self,
        known_valid: &mut dyn FnMut(&Value) -> Option<bool>,
    ) -> Result<(), Error> {
        let invalid = |index, reason| Error::InvalidExample {
            event: format!("{} v{}", self.event_type, self.version),
            rust_path: self.rust_path.clone().unwrap_or_default(),
            index,
            reason,
        };
        let mut payloads = Vec::with_capacity(self.examples.len());
        for (index, example) in self.examples.iter().enumerate() {
            let payload: Value = serde_json::from_str(example)
                .map_err(|error| invalid(index + 1, error.to_string()))?;
            payloads.push(payload);
        }
        if payloads
            .iter()
            .all(|payload| known_valid(payload) == Some(true))
        {
            return Ok(());
        }
        let validator = jsonschema::draft202012::new(&self.schema)
            .map_err(|error| invalid(0, error.to_string()))?;
        for (index, payload) in payloads.iter().enumerate() {
            if let Err(error) = validator.validate(payload) {
                return Err(invalid(
                    index + 1,
                    format!("{error} at `{}`", error.instance_path()),
                ));
            }
        }
        Ok(())
    }

    /// `<EventType>.v<N>`, the stem of the version's file names and its name in the stream
    /// schema.
    pub fn key(&self) -> String {
        version_key(&self.event_type, self.version)
    }

    /// The event's description: the root schema's, from the struct's doc comment.
    pub fn description(&self) -> &str {
        self.schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}
