//! JSON Schema, docs and example payloads generated from telemetry event types.
