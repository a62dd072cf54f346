//! The human documentation, `docs/telemetry.md`, rendered from the event versions, their
//! fields' classifications and the runtime's own tables (variables, span attributes,
//! diagnostics, CI systems), the way werf's telemetry page is written.

mod privacy;
mod runtime;
mod table;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use self::table::{Table, cell, first_paragraph, header};
use crate::config::Config;
use crate::model::key_order::KeyOrder;
use crate::model::schema::resolve;
use crate::model::version::EventVersion;
use crate::model::walk::has_properties;
use crate::paths::GENERATED_MARKER;
use crate::publish::compat::overall;

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
    intro(&mut out, versions, config);
    if let Some(newest) = by_event.values().find_map(|versions| versions.last()) {
        envelope(&mut out, newest, &KeyOrder::of(examples_of(versions)));
    }
    runtime::sending(&mut out, config);
    events(&mut out, &by_event);
    privacy::section(&mut out, versions, config);
    runtime::configuration(&mut out, config);
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

fn intro(out: &mut String, versions: &[EventVersion], config: &Config) {
    let name = config.tool_name();
    let _ = write!(out, "<!-- {GENERATED_MARKER} -->\n\n# {name} telemetry\n\n");
    privacy::statement(out, versions, config.purpose_statement());
    let _ = write!(
        out,
        "This page lists everything {name} sends. It is generated from the code that sends it, so \
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
         the event's own data in `eventData`. Each field's class says what it holds and its \
         purpose why it is sent (see [Privacy](#privacy)).\n\n",
    );
    out.push_str(&header("Key"));
    let root = &version.schema;
    let table = Table {
        root,
        order,
        nested: false,
        constants: false,
        classifications: &version.classifications,
    };
    for row in table.rows(root, "") {
        row.write(out);
    }
    if let Some(attributes) = root
        .pointer("/properties/attributes")
        .and_then(|a| resolve(root, a))
    {
        out.push_str("\n### `attributes`\n\n");
        out.push_str(&header("Key"));
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
            out.push_str(&header("Field"));
            let table = Table {
                root,
                order: &order,
                nested: true,
                constants: true,
                classifications: &newest.classifications,
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
