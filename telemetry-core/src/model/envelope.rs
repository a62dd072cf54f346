//! The envelope on the wire: its keys in wire order, how it serialises and deserialises, and
//! its JSON Schema. The types are in [`event`](super::event).

#[cfg(feature = "schema")]
use std::borrow::Cow;

#[cfg(feature = "schema")]
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::Error as _;
use serde::ser::SerializeStruct as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::context::{Attributes, Context};
use super::event::{Envelope, TelemetryEvent};

/// The largest integer every consumer of the JSON reads exactly: JavaScript's
/// `Number.MAX_SAFE_INTEGER`, 2^53 − 1, the bound I-JSON (RFC 7493) sets for interoperable
/// integers. Schemas bound 64-bit integers (`ts`, durations) by it: milliseconds up to it reach
/// the year 287,396.
pub const MAX_SAFE_INTEGER: i64 = 9_007_199_254_740_991;

/// The envelope's keys, in wire order; the descriptions are the schema's.
pub(crate) mod keys {
    pub(crate) const TS: &str = "ts";
    pub(crate) const EXECUTION_ID: &str = "executionID";
    pub(crate) const USER_ID: &str = "userID";
    pub(crate) const PROJECT_ID: &str = "projectID";
    pub(crate) const COMMAND: &str = "command";
    pub(crate) const ATTRIBUTES: &str = "attributes";
    pub(crate) const EVENT_TYPE: &str = "eventType";
    pub(crate) const EVENT_DATA: &str = "eventData";
    pub(crate) const SCHEMA_VERSION: &str = "schemaVersion";

    /// Every key, in wire order.
    #[cfg(test)]
    pub(crate) const ALL: [&str; 9] = [
        TS,
        EXECUTION_ID,
        USER_ID,
        PROJECT_ID,
        COMMAND,
        ATTRIBUTES,
        EVENT_TYPE,
        EVENT_DATA,
        SCHEMA_VERSION,
    ];
}

impl<E: TelemetryEvent> Serialize for Envelope<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let context = &self.context;
        let mut envelope = serializer.serialize_struct("Envelope", 9)?;
        envelope.serialize_field(keys::TS, &self.ts)?;
        envelope.serialize_field(keys::EXECUTION_ID, &context.execution_id)?;
        envelope.serialize_field(keys::USER_ID, &context.user_id)?;
        envelope.serialize_field(keys::PROJECT_ID, &context.project_id)?;
        envelope.serialize_field(keys::COMMAND, &context.command)?;
        envelope.serialize_field(keys::ATTRIBUTES, &context.attributes)?;
        envelope.serialize_field(keys::EVENT_TYPE, E::EVENT_TYPE)?;
        envelope.serialize_field(keys::EVENT_DATA, &self.event)?;
        envelope.serialize_field(keys::SCHEMA_VERSION, &E::SCHEMA_VERSION)?;
        envelope.end()
    }
}

/// Accepts exactly what [`Serialize`] produces for this event type and version: unknown keys,
/// another `eventType` or another `schemaVersion` are errors.
impl<'de, E: TelemetryEvent + Deserialize<'de>> Deserialize<'de> for Envelope<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wire<E> {
            ts: u64,
            #[serde(rename = "executionID")]
            execution_id: String,
            #[serde(rename = "userID")]
            user_id: String,
            #[serde(rename = "projectID")]
            project_id: String,
            command: String,
            attributes: Attributes,
            #[serde(rename = "eventType")]
            event_type: String,
            #[serde(rename = "eventData")]
            event_data: E,
            #[serde(rename = "schemaVersion")]
            schema_version: u32,
        }

        let wire = Wire::<E>::deserialize(deserializer)?;
        if wire.event_type != E::EVENT_TYPE {
            return Err(D::Error::custom(format_args!(
                "expected eventType `{}`, found `{}`",
                E::EVENT_TYPE,
                wire.event_type
            )));
        }
        if wire.schema_version != E::SCHEMA_VERSION {
            return Err(D::Error::custom(format_args!(
                "expected schemaVersion {} of `{}`, found {}",
                E::SCHEMA_VERSION,
                E::EVENT_TYPE,
                wire.schema_version
            )));
        }
        Ok(Envelope {
            ts: wire.ts,
            context: Context {
                execution_id: wire.execution_id,
                user_id: wire.user_id,
                project_id: wire.project_id,
                command: wire.command,
                attributes: wire.attributes,
            },
            event: wire.event_data,
        })
    }
}

/// The schema of the whole envelope carrying `E`: `eventType` and `schemaVersion` are
/// constants, `eventData` is `E`'s schema.
#[cfg(feature = "schema")]
impl<E: TelemetryEvent> JsonSchema for Envelope<E> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}.v{}", E::EVENT_TYPE, E::SCHEMA_VERSION).into()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("telemetry_core::Envelope<{}>", std::any::type_name::<E>()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        envelope_schema(
            generator,
            E::EVENT_TYPE,
            E::SCHEMA_VERSION,
            &mut |generator| generator.subschema_for::<E>(),
        )
    }
}

/// The envelope's schema, `eventData` from `event_data`. Not generic, so that each event type
/// instantiates only the call to `subschema_for`, not this.
#[cfg(feature = "schema")]
pub(crate) fn envelope_schema(
    generator: &mut SchemaGenerator,
    event_type: &str,
    schema_version: u32,
    event_data: &mut dyn FnMut(&mut SchemaGenerator) -> Schema,
) -> Schema {
    let mut attributes = generator.subschema_for::<Attributes>();
    attributes.insert(
        "description".into(),
        "The environment the command runs in.".into(),
    );
    let mut event_data = event_data(generator);
    event_data.insert(
        "description".into(),
        "The event's own data; its shape depends on `eventType` and `schemaVersion`.".into(),
    );
    json_schema!({
        "type": "object",
        "properties": {
            (keys::TS): {
                "description": "Timestamp: milliseconds since the Unix epoch when the event was emitted.",
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_SAFE_INTEGER,
            },
            (keys::EXECUTION_ID): {
                "description": "Run UUID: random, one per run of the command; ties the run's events together.",
                "type": "string",
                "format": "uuid",
                "pattern": Context::EXECUTION_ID_PATTERN,
            },
            (keys::USER_ID): {
                "description": "Pseudonymous identifier of the user or the installation, chosen by the program: at most 128 letters, digits and `._:-`, so never an e-mail address or a name with spaces; empty when not set.",
                "type": "string",
                "pattern": Context::USER_ID_PATTERN,
            },
            (keys::PROJECT_ID): {
                "description": "Checksum (SHA-256, lowercase hex) of `host:::path` of the project's Git `origin` URL, without its user, password, port, query and fragment, and without one leading `/` and a trailing `.git` of the path; for a repository without `origin`, the checksum of `:::` (`f1ae2a75ed1f99721f02ef869e2fb3d4df102fdd73e2d00b424a222f9c1ea69c`), the same for every such repository; empty when the project is not in a Git repository, or in one that git would not trust (another user's).",
                "type": "string",
                "pattern": Context::PROJECT_ID_PATTERN,
            },
            (keys::COMMAND): {
                "description": "The command being executed, words joined by spaces.",
                "type": "string",
            },
            (keys::ATTRIBUTES): attributes,
            (keys::EVENT_TYPE): {
                "description": "Type of event.",
                "type": "string",
                "const": event_type,
            },
            (keys::EVENT_DATA): event_data,
            (keys::SCHEMA_VERSION): {
                "description": "Version of the event's schema.",
                "type": "integer",
                "const": schema_version,
            },
        },
        "required": [
            keys::TS, keys::EXECUTION_ID, keys::USER_ID, keys::PROJECT_ID, keys::COMMAND,
            keys::ATTRIBUTES, keys::EVENT_TYPE, keys::EVENT_DATA, keys::SCHEMA_VERSION,
        ],
        "additionalProperties": false,
    })
}
