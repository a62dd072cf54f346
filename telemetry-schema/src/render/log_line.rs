//! The schema of every line of the log file (`<PREFIX>_TELEMETRY_LOG_FILE`): an event, exactly
//! as sent, which the stream schema describes, or a diagnostic, which has a `diagnostic` key.
//! A consumer of the log filters on that key, or validates each line with this schema.

use serde_json::{Value, json};
use telemetry_core::diagnostics::{KINDS, SHOWN_PER_KIND};
use telemetry_core::{Context, MAX_SAFE_INTEGER};

use super::json::{pretty, with_marker};
use super::stream::{self, DRAFT_2020_12};
use crate::config::Config;

/// The path of the log-line schema in the `schemas/` folder, for its `$id`.
pub(crate) const ID_PATH: &str = "log-line.schema.json";

/// The log-line schema's file: [`log_line_schema`], marked as generated.
pub(crate) fn file(config: &Config) -> String {
    pretty(&with_marker(log_line_schema(config)))
}

/// The schema of one line of the log file, for `config`'s program. It refers to the stream
/// schema by its absolute `$id`: a validator needs both (ajv: `addSchema`; Python: a `referencing`
/// registry; the `jsonschema` crate: a `Registry`).
pub fn log_line_schema(config: &Config) -> Value {
    let kinds: Vec<&str> = KINDS.iter().map(|kind| kind.name).collect();
    let meanings: Vec<String> = KINDS
        .iter()
        .map(|kind| format!("- `\"{}\"`: {}", kind.name, kind.meaning))
        .collect();
    let log_file = telemetry_core::environment::LOG_FILE.name_for(config.env_prefix());
    json!({
        "$schema": DRAFT_2020_12,
        "$id": config.schema_id(ID_PATH),
        "title": "TelemetryLogLine",
        "description": format!(
            "One line of the log file (`{log_file}`): an event exactly as it is sent (see the stream \
             schema), or a diagnostic, which has a `diagnostic` key."
        ),
        "type": "object",
        "if": { "type": "object", "required": ["diagnostic"] },
        "then": { "$ref": "#/$defs/Diagnostic" },
        // Absolute, so that it resolves whatever the base: a relative reference cannot be
        // resolved against a `urn:` base.
        "else": { "$ref": config.schema_id(stream::ID_PATH) },
        "$defs": {
            "Diagnostic": {
                "title": "Diagnostic",
                "description": format!(
                    "A problem of the run, never shown on the terminal. The first {SHOWN_PER_KIND} of \
                     each kind are written, then one line counts the rest."
                ),
                "type": "object",
                "properties": {
                    "diagnostic": {
                        "description": format!("What kind of problem.\n\n{}", meanings.join("\n")),
                        "type": "string",
                        "enum": kinds,
                    },
                    "message": {
                        "description": "What happened, in words; user names and passwords of URLs are left out.",
                        "type": "string",
                    },
                    "ts": {
                        "description": "Timestamp: milliseconds since the Unix epoch when the line was written.",
                        "type": "integer",
                        "minimum": 0,
                        "maximum": MAX_SAFE_INTEGER,
                    },
                    "executionID": {
                        "description": "The run the line is about: the `executionID` of its events.",
                        "type": "string",
                        "format": "uuid",
                        "pattern": Context::EXECUTION_ID_PATTERN,
                    },
                },
                "required": ["diagnostic", "message", "ts", "executionID"],
                "additionalProperties": false,
            },
        },
    })
}
