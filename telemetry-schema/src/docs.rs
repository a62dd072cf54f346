//! The human documentation, `docs/telemetry.md`, rendered from the event versions and the
//! runtime's own table of environment variables, the way werf's telemetry page is written.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;
use telemetry_core::detect::{CI_SYSTEMS, CiSignal};
use telemetry_core::environment::{self, EnvVar};

use crate::compat::overall;
use crate::key_order::KeyOrder;
use crate::{Config, EventVersion, GENERATED_MARKER, resolve};

/// Renders `docs/telemetry.md`.
///
/// Lists every event type of `versions` with the description, fields and example payload of its
/// newest version.
pub fn render(versions: &[EventVersion], config: &Config) -> String {
    let mut by_event: BTreeMap<&str, Vec<&EventVersion>> = BTreeMap::new();
    for version in versions {
        by_event
            .entry(&version.event_type)
            .or_default()
            .push(version);
    }
    for versions in by_event.values_mut() {
        versions.sort_by_key(|version| version.version);
    }

    let mut out = String::new();
    intro(&mut out, config.tool_name());
    if let Some(newest) = by_event.values().find_map(|versions| versions.last()) {
        envelope(&mut out, newest, &KeyOrder::of(examples_of(versions)));
    }
    events(&mut out, &by_event);
    configuration(&mut out, config);
    out
}

/// Every example payload of `versions`.
fn examples_of<'a>(
    versions: impl IntoIterator<Item = &'a EventVersion>,
) -> impl Iterator<Item = &'a str> {
    versions
        .into_iter()
        .flat_map(|version| version.examples.iter().map(String::as_str))
}

fn intro(out: &mut String, name: &str) {
    let _ = write!(
        out,
        "<!-- {GENERATED_MARKER} -->\n\n\
         # {name} telemetry\n\n\
         {name} collects anonymous usage data to improve its features and steer its development in \
         the right direction. The data is not associated with users in any way and contains no \
         personal information. It helps to figure out how {name} is used and to focus on the \
         features that are most needed.\n\n\
         This page lists everything {name} sends. It is generated from the code that sends it, so \
         it cannot miss an event or a field. You can also keep a copy of every event sent, in a \
         [log file](#configuring-the-telemetry-log-file), and \
         [turn telemetry off](#disabling-telemetry).\n\n"
    );
}

/// The keys every event carries, and `attributes`.
fn envelope(out: &mut String, version: &EventVersion, order: &KeyOrder) {
    out.push_str(
        "## What is sent\n\n\
         Each event is one JSON document, an envelope: when and where the event happened, and \
         the event's own data in `eventData`.\n\n\
         | Key | Type | Always sent | Description |\n\
         |---|---|---|---|\n",
    );
    let root = &version.schema;
    let table = Table {
        root,
        order,
        nested: false,
        constants: false,
    };
    for row in table.rows(root, "") {
        row.write(out);
    }
    if let Some(attributes) = root
        .pointer("/properties/attributes")
        .and_then(|a| resolve(root, a))
    {
        out.push_str(
            "\n### `attributes`\n\n\
             | Key | Type | Always sent | Description |\n\
             |---|---|---|---|\n",
        );
        for row in table.rows(attributes, "attributes") {
            row.write(out);
        }
    }
    out.push('\n');
}

/// The list of events, then each event in detail.
fn events(out: &mut String, by_event: &BTreeMap<&str, Vec<&EventVersion>>) {
    out.push_str(
        "## Events\n\n\
         | Event | Schema version | Description |\n\
         |---|---|---|\n",
    );
    for (event_type, versions) in by_event {
        if let Some(newest) = versions.last() {
            let _ = writeln!(
                out,
                "| [`{event_type}`](#{anchor}) | {version} | {description} |",
                anchor = event_type.to_lowercase(),
                version = newest.version,
                description = cell(first_paragraph(newest.description())),
            );
        }
    }
    out.push('\n');
    for (event_type, versions) in by_event {
        let Some(newest) = versions.last() else {
            continue;
        };
        event(out, event_type, versions, newest);
    }
}

/// One event: its newest version in detail, then its history.
fn event(out: &mut String, event_type: &str, versions: &[&EventVersion], newest: &EventVersion) {
    let order = KeyOrder::of(examples_of(versions.iter().copied()));
    let key = newest.key();
    let retired = if versions.iter().all(|v| v.rust_path.is_none()) {
        " (no longer sent)"
    } else {
        ""
    };
    let unreleased = if newest.unreleased {
        " (unreleased: it may still change)"
    } else {
        ""
    };
    let _ = write!(
        out,
        "### {event_type}{retired}\n\n{description}\n\n\
         Schema version {version}{unreleased}: [JSON Schema](../schemas/events/{key}.schema.json), \
         [example](../examples/{key}.json).\n\n",
        description = newest.description(),
        version = newest.version,
    );
    let root = &newest.schema;
    match root
        .pointer("/properties/eventData")
        .and_then(|data| resolve(root, data))
    {
        Some(event_data) if has_properties(root, event_data) => {
            out.push_str(
                "| Field | Type | Always sent | Description |\n\
                 |---|---|---|---|\n",
            );
            let table = Table {
                root,
                order: &order,
                nested: true,
                constants: true,
            };
            for row in table.rows(event_data, "eventData") {
                row.write(out);
            }
            out.push('\n');
        }
        _ => out.push_str("`eventData` is an empty object.\n\n"),
    }
    let label = if newest.examples.len() == 1 {
        "Example"
    } else {
        "Examples"
    };
    let _ = writeln!(out, "{label}:\n");
    for example in &newest.examples {
        let _ = write!(out, "```json\n{example}\n```\n\n");
    }
    history(out, versions);
}

/// Every version, newest first, with its classified changes from the one before.
fn history(out: &mut String, versions: &[&EventVersion]) {
    out.push_str(
        "Version history:\n\n\
         | Version | Changes from the version before |\n\
         |---|---|\n",
    );
    for (index, version) in versions.iter().enumerate().rev() {
        let unreleased = if version.unreleased {
            " (unreleased)"
        } else {
            ""
        };
        let mut changes = match index
            .checked_sub(1)
            .and_then(|previous| versions.get(previous))
        {
            None => "first version".to_owned(),
            Some(older) => {
                let changes = version.changes_since(older);
                match overall(&changes) {
                    None => "no change to the schema".to_owned(),
                    Some(overall) => {
                        let items: Vec<String> = changes.iter().map(ToString::to_string).collect();
                        format!("**{overall}**<br>{}", items.join("<br>"))
                    }
                }
            }
        };
        for amendment in &version.amendments {
            let _ = write!(changes, "<br>**amended**, {amendment}");
        }
        let _ = writeln!(
            out,
            "| {}{unreleased} | {} |",
            version.version,
            changes.replace('|', "\\|")
        );
    }
    out.push('\n');
}

/// Where to look for the log file and the opt-outs, from the runtime's own table.
fn configuration(out: &mut String, config: &Config) {
    let prefix = config.env_prefix();
    let log_file = environment::LOG_FILE.name_for(prefix);
    let telemetry = environment::TELEMETRY.name_for(prefix);
    let _ = write!(
        out,
        "## Configuring the telemetry log file\n\n\
         `{log_file}`: {log_purpose}\n\n\
         ```sh\nexport {log_file}=$HOME/{name}-telemetry.jsonl\n```\n\n\
         ## Disabling telemetry\n\n\
         `{telemetry}`: {telemetry_purpose}\n\n\
         ```sh\nexport {telemetry}=0\n```\n\n\
         `{do_not_track}`: {do_not_track_purpose}\n\n\
         ## Environment variables\n\n\
         | Variable | Purpose |\n\
         |---|---|\n",
        log_purpose = environment::LOG_FILE.purpose_for(prefix),
        name = config.tool_name(),
        telemetry_purpose = environment::TELEMETRY.purpose_for(prefix),
        do_not_track = environment::DO_NOT_TRACK.name,
        do_not_track_purpose = environment::DO_NOT_TRACK.purpose_for(prefix),
    );
    // The program's own variables first, then `CI`, which every tool reads.
    let (ambient, own): (Vec<&EnvVar>, Vec<&EnvVar>) = environment::ALL
        .iter()
        .partition(|var| var.name == environment::CI.name);
    for var in own
        .into_iter()
        .chain(config.group_channel_variable())
        .chain(ambient)
    {
        env_row(out, var, prefix);
    }
    out.push_str(
        "\n## CI systems\n\n\
         `attributes.ciName` names the CI/CD system the command runs in, detected from its own \
         variables (when several match, the last one in this table wins):\n\n\
         | `ciName` | Detected when |\n\
         |---|---|\n",
    );
    for system in CI_SYSTEMS {
        let condition = match system.signal {
            CiSignal::IsTrue(name) => format!("`{name}` is `true`"),
            CiSignal::NonEmpty(name) => format!("`{name}` is set"),
            CiSignal::Equals(name, value) => format!("`{name}` is `{value}`"),
            _ => format!("`{}` is set", system.signal.variable()),
        };
        let _ = writeln!(out, "| `{}` | {condition} |", system.name);
    }
}

fn env_row(out: &mut String, var: &EnvVar, prefix: &str) {
    let _ = writeln!(
        out,
        "| `{}` | {} |",
        var.name_for(prefix),
        cell(&var.purpose_for(prefix))
    );
}

/// One row of a field table.
struct Row {
    key: String,
    kind: String,
    required: bool,
    description: String,
}

impl Row {
    fn write(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            self.key,
            self.kind,
            if self.required { "yes" } else { "no" },
            cell(&self.description),
        );
    }
}

/// How to tabulate the properties of objects in one schema.
struct Table<'a> {
    /// The schema `$ref`s resolve in.
    root: &'a Value,
    /// The wire order of keys, from the examples.
    order: &'a KeyOrder,
    /// Whether nested objects (`a.b`) and arrays of objects (`a[].b`) get rows of their own.
    nested: bool,
    /// Whether a constant is shown as its value (`"BuildFinished"`) or its type (`string`).
    constants: bool,
}

impl Table<'_> {
    /// The rows of `object`'s properties, at `path` in the payload, in wire order.
    fn rows(&self, object: &Value, path: &str) -> Vec<Row> {
        let mut rows = Vec::new();
        self.collect(object, path, "", &mut Vec::new(), &mut rows);
        rows
    }

    fn collect(
        &self,
        object: &Value,
        path: &str,
        label_prefix: &str,
        visiting: &mut Vec<String>,
        rows: &mut Vec<Row>,
    ) {
        let Some(properties) = object.get("properties").and_then(Value::as_object) else {
            return;
        };
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|keys| keys.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut keys: Vec<&str> = properties.keys().map(String::as_str).collect();
        self.order.sort(path, &mut keys);
        for key in keys {
            let property = &properties[key];
            let target = resolve(self.root, property).unwrap_or(property);
            let description = property
                .get("description")
                .or_else(|| target.get("description"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let label = format!("{label_prefix}{key}");
            rows.push(Row {
                key: label.clone(),
                kind: type_label(self.root, property, self.constants),
                required: required.contains(&key),
                description: description.to_owned(),
            });
            if !self.nested {
                continue;
            }
            // A type that contains itself is described once.
            let reference = property
                .get("$ref")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if reference.as_ref().is_some_and(|r| visiting.contains(r)) {
                continue;
            }
            visiting.extend(reference.clone());
            let child_path = if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            };
            if has_properties(self.root, target) {
                self.collect(target, &child_path, &format!("{label}."), visiting, rows);
            } else if let Some(items) = target
                .get("items")
                .and_then(|items| resolve(self.root, items))
                && has_properties(self.root, items)
            {
                self.collect(
                    items,
                    &format!("{child_path}[]"),
                    &format!("{label}[]."),
                    visiting,
                    rows,
                );
            }
            if reference.is_some() {
                visiting.pop();
            }
        }
    }
}

fn has_properties(root: &Value, schema: &Value) -> bool {
    resolve(root, schema)
        .and_then(|schema| schema.get("properties"))
        .and_then(Value::as_object)
        .is_some_and(|properties| !properties.is_empty())
}

/// A short, human name for the type of values `schema` admits; with `constants`, a constant is
/// named by its value.
fn type_label(root: &Value, schema: &Value, constants: bool) -> String {
    let Some(schema) = resolve(root, schema) else {
        return "any".into();
    };
    if let (true, Some(value)) = (constants, schema.get("const")) {
        return format!("`{value}`");
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        let values: Vec<String> = values.iter().map(|value| format!("`{value}`")).collect();
        return match values.as_slice() {
            [] => "nothing".into(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        };
    }
    let kinds: Vec<&str> = match schema.get("type") {
        Some(Value::String(kind)) => vec![kind],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => return "any".into(),
    };
    let labels: Vec<String> = kinds
        .iter()
        .map(|kind| single_type_label(root, schema, kind))
        .collect();
    labels.join(" or ")
}

fn single_type_label(root: &Value, schema: &Value, kind: &str) -> String {
    match kind {
        "integer" if schema.get("minimum").and_then(Value::as_i64) == Some(0) => {
            "integer ≥ 0".into()
        }
        "string" if schema.get("format").and_then(Value::as_str) == Some("uuid") => {
            "string (UUID)".into()
        }
        "array" => match schema.get("items") {
            Some(items) => format!("array of {}", type_label(root, items, true)),
            None => "array".into(),
        },
        "object" => match schema.get("additionalProperties") {
            Some(values) if values.is_object() => {
                format!("map of string to {}", type_label(root, values, true))
            }
            _ => "object".into(),
        },
        other => other.into(),
    }
}

/// The first paragraph of a description, for one-line summaries.
fn first_paragraph(text: &str) -> &str {
    text.split("\n\n").next().unwrap_or_default()
}

/// Text fit for a Markdown table cell: hard-wrapped lines joined, list items and paragraphs
/// kept apart with `<br>`, pipes escaped.
fn cell(text: &str) -> String {
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|paragraph| {
            let mut joined = String::new();
            for line in paragraph.lines().map(str::trim) {
                if !joined.is_empty() {
                    joined.push_str(if line.starts_with("- ") { "<br>" } else { " " });
                }
                joined.push_str(line);
            }
            joined
        })
        .collect();
    paragraphs.join("<br><br>").replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{cell, type_label};

    #[test]
    fn labels_types_for_humans() {
        let root = json!({ "$defs": { "Backend": { "type": "string", "enum": ["docker", "buildah", ""] } } });
        let cases = [
            (json!({ "type": "integer", "minimum": 0 }), "integer ≥ 0"),
            (json!({ "type": "integer" }), "integer"),
            (
                json!({ "type": "string", "format": "uuid" }),
                "string (UUID)",
            ),
            (
                json!({ "$ref": "#/$defs/Backend" }),
                "`\"docker\"`, `\"buildah\"` or `\"\"`",
            ),
            (json!({ "const": 2 }), "`2`"),
            (
                json!({ "type": "array", "items": { "type": "boolean" } }),
                "array of boolean",
            ),
            (
                json!({ "type": "object", "additionalProperties": { "type": "string" } }),
                "map of string to string",
            ),
            (json!({ "type": ["string", "null"] }), "string or null"),
            (json!({}), "any"),
        ];
        assert_eq!(
            type_label(&root, &json!({ "type": "integer", "const": 2 }), false),
            "integer"
        );
        for (schema, label) in cases {
            assert_eq!(type_label(&root, &schema, true), label, "{schema}");
        }
    }

    #[test]
    fn table_cells_are_one_line_without_pipes() {
        assert_eq!(
            cell("Which one, wrapped\nhere.\n\n- `a`: A\n- `b`: B | C"),
            "Which one, wrapped here.<br><br>- `a`: A<br>- `b`: B \\| C"
        );
    }
}
