//! Every generated file, by path: a pure function of the event versions and the [`Config`].
//! Paths are relative to the output directory ([`Config::out_dir`]), `/`-separated.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{
    Config, EventVersion, GENERATED_MARKER, catalogue, docs, log_line, publish, stream, version_key,
};

/// The stream schema's path.
pub const STREAM_SCHEMA: &str = "schemas/telemetry.schema.json";
/// The catalogue's path: the record of every version (see [`catalogue`]).
pub const CATALOGUE: &str = "schemas/catalogue.json";
/// The path of the schema of every line of the log file (see [`log_line`]).
pub const LOG_LINE_SCHEMA: &str = "schemas/log-line.schema.json";
/// The directory of per-version event schemas.
pub const EVENT_SCHEMAS: &str = "schemas/events";
/// The directory of example payloads.
pub const EXAMPLES: &str = "examples";
/// The human documentation's path.
pub const DOCS: &str = "docs/telemetry.md";

/// Every generated file: paths mapped to contents. Output is deterministic: sorted keys, `\n`
/// line ends, a final newline. Published files are kept byte for byte.
pub fn generate(versions: &[EventVersion], config: &Config) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for version in versions {
        let schema = version
            .published_schema_file
            .clone()
            .unwrap_or_else(|| render_event_schema(&version.schema, version.unreleased));
        let examples = version
            .published_examples_file
            .clone()
            .unwrap_or_else(|| render_examples(&version.examples));
        files.insert(
            event_schema_path(&version.event_type, version.version),
            schema,
        );
        files.insert(
            examples_path(&version.event_type, version.version),
            examples,
        );
    }
    let names = stream::definition_names(versions);
    files.insert(
        STREAM_SCHEMA.to_owned(),
        pretty(&with_marker(stream::stream_schema_named(
            versions, &names, config,
        ))),
    );
    files.insert(CATALOGUE.to_owned(), catalogue::render(versions, &names));
    files.insert(
        LOG_LINE_SCHEMA.to_owned(),
        pretty(&with_marker(log_line::log_line_schema(config))),
    );
    files.insert(DOCS.to_owned(), docs::render(versions, config));
    files
}

/// `schemas/events/<EventType>.v<N>.schema.json`.
pub fn event_schema_path(event_type: &str, version: u32) -> String {
    format!(
        "{EVENT_SCHEMAS}/{}.schema.json",
        version_key(event_type, version)
    )
}

/// `examples/<EventType>.v<N>.json`.
pub fn examples_path(event_type: &str, version: u32) -> String {
    format!("{EXAMPLES}/{}.json", version_key(event_type, version))
}

/// An event schema file: the schema with the generated-file marker, and whether the version is
/// unreleased, as its `$comment`.
pub fn render_event_schema(schema: &Value, unreleased: bool) -> String {
    let mut schema = schema.clone();
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "$comment".into(),
            publish::schema_comment(unreleased).into(),
        );
    }
    pretty(&schema)
}

/// An examples file: the payload, or an array of them when there are several.
pub fn render_examples(examples: &[String]) -> String {
    match examples {
        [one] => format!("{one}\n"),
        several => {
            // Indenting serde_json's pretty output by one level gives exactly what pretty-printing
            // the array would, but keeps each payload's keys in wire order.
            let items: Vec<String> = several
                .iter()
                .map(|example| {
                    example
                        .lines()
                        .map(|line| format!("  {line}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .collect();
            format!("[\n{}\n]\n", items.join(",\n"))
        }
    }
}

fn with_marker(mut schema: Value) -> Value {
    if let Some(object) = schema.as_object_mut() {
        object.insert("$comment".into(), GENERATED_MARKER.into());
    }
    schema
}

fn pretty(value: &Value) -> String {
    // A `Value` always serialises; the fallback is unreachable but keeps this total.
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::render_examples;

    #[test]
    fn several_examples_make_a_pretty_array_in_wire_order() {
        let examples = ["{\n  \"b\": 1,\n  \"a\": 2\n}".to_owned(), "{}".to_owned()];
        let rendered = render_examples(&examples);
        assert_eq!(
            rendered,
            "[\n  {\n    \"b\": 1,\n    \"a\": 2\n  },\n  {}\n]\n"
        );
        let parsed: serde_json::Value = serde_json::from_str(&rendered).unwrap();
        assert_eq!(parsed, serde_json::json!([{ "a": 2, "b": 1 }, {}]));
        assert_eq!(render_examples(&examples[1..]), "{}\n");
    }
}
