//! The views: one per event version, `<program>_<event_type in snake_case>_v<N>`, naming the
//! envelope's columns, the scalars of `attributes` and every field of `eventData` typed; and
//! `<program>_events_without_view`, the events of versions no view reads. Each is
//! `CREATE OR REPLACE`: running the file again gives every view its current definition.

use std::fmt::Write as _;

use super::events::{
    RECEIVED_COMMENT, TIME_COMMENT, attribute_fields_of, column_comment, envelope_types, newest,
};
use super::fields::{Field, event_fields, version_condition, version_list, version_stem};
use super::sql::{first_line, quoted_identifier, string};
use super::target::Target;
use crate::model::version::EventVersion;

/// `<program>_<event_type in snake_case>_v<N>`.
pub fn view_name(program: &str, event_type: &str, version: u32) -> String {
    format!(
        "{}_{}",
        super::sql::identifier_part(program),
        version_stem(event_type, version)
    )
}

/// The view of each of `versions`, and the view of the events no view reads.
pub(crate) fn views(sql: &mut String, target: &Target, versions: &[EventVersion]) {
    let events = target.table("events");
    // The events table stores the attributes of the newest envelope: every view reads those.
    let attributes = attribute_fields_of(newest(versions));
    for version in versions {
        version_view(sql, target, version, (&events, &attributes));
    }
    let known = version_list(versions).map_or_else(
        || "1".to_owned(),
        |known| format!("(eventType, schemaVersion) NOT IN ({known})"),
    );
    let _ = writeln!(
        sql,
        "CREATE OR REPLACE VIEW {program}_events_without_view{on}\nAS SELECT *, time\n\
         FROM {events}\nWHERE {known}\nCOMMENT {comment};\n",
        program = target.program,
        on = target.on_cluster(),
        comment = string(
            "The events of versions no view of this file reads (a version newer than the file): \
             what a query on the views does not count. Empty while the file is current."
        ),
    );
}

fn version_view(
    sql: &mut String,
    target: &Target,
    version: &EventVersion,
    (events, attributes): (&str, &[Field]),
) {
    let name = view_name(&target.program, &version.event_type, version.version);
    let mut columns = Vec::new();
    let mut selects = Vec::new();
    let mut column = |name: &str, kind: &str, comment: &str, read: String| {
        columns.push(format!(
            "    {} {kind} COMMENT {}",
            quoted_identifier(name),
            string(comment)
        ));
        selects.push(read);
    };
    for (key, kind) in envelope_types(Some(version)) {
        let comment = column_comment(Some(version), key);
        column(
            key,
            &kind,
            &comment,
            format!("    {}", quoted_identifier(key)),
        );
        if key == "ts" {
            column(
                "time",
                "DateTime64(3, 'UTC')",
                TIME_COMMENT,
                "    time".to_owned(),
            );
            column(
                "received",
                "Date",
                RECEIVED_COMMENT,
                "    received".to_owned(),
            );
        }
    }
    let fields = event_fields(version);
    // The attributes' scalars take their own names, unless a field of the event has it.
    for field in attributes {
        let name = if fields.iter().any(|other| other.key == field.key) {
            format!("attributes_{}", field.key)
        } else {
            field.key.clone()
        };
        let read = format!("    {} AS {}", field.column, quoted_identifier(&name));
        column(&name, &field.kind, &field.comment, read);
    }
    for field in &fields {
        let read = format!("    {} AS {}", field.column, quoted_identifier(&field.key));
        column(&field.key, &field.kind, &field.comment, read);
    }
    let _ = writeln!(
        sql,
        "CREATE OR REPLACE VIEW {name}{on}\n(\n{}\n)\nAS SELECT\n{}\nFROM {events}\n\
         WHERE {}\nCOMMENT {};\n",
        columns.join(",\n"),
        selects.join(",\n"),
        version_condition(version),
        string(&format!(
            "{} v{}: {}",
            version.event_type,
            version.version,
            first_line(version.description())
        )),
        on = target.on_cluster(),
    );
}
