//! The tables of fields the docs show: rows in wire order, types in words, descriptions fit
//! for a Markdown cell.

use std::fmt::Write as _;

use serde_json::Value;
use telemetry_core::classify::envelope_field;

use crate::model::fields::{Classification, Classifications, type_label};
use crate::model::key_order::KeyOrder;
use crate::model::walk::walk;

/// One row of a field table.
pub(super) struct Row {
    key: String,
    kind: String,
    /// When it is sent, in words: `yes`, `no`, or the variant it is sent with.
    sent: String,
    class: String,
    purpose: String,
    description: String,
}

impl Row {
    pub(super) fn write(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            self.key,
            self.kind,
            self.sent,
            self.class,
            self.purpose,
            cell(&self.description),
        );
    }
}

/// How to tabulate the properties of objects in one schema.
pub(super) struct Table<'a> {
    /// The schema `$ref`s resolve in.
    pub(super) root: &'a Value,
    /// The wire order of keys, from the examples.
    pub(super) order: &'a KeyOrder,
    /// Whether nested objects (`a.b`) and arrays of objects (`a[].b`) get rows of their own.
    pub(super) nested: bool,
    /// Whether a constant is shown as its value (`"BuildFinished"`) or its type (`string`).
    pub(super) constants: bool,
    /// The class and purpose of each path.
    pub(super) classifications: &'a Classifications,
}

impl Table<'_> {
    /// The rows of `object`'s properties, at `path` in the payload, in wire order; each row's
    /// key is its path from `object`.
    pub(super) fn rows(&self, object: &Value, path: &str) -> Vec<Row> {
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}.")
        };
        walk(self.root, object, path, self.order, self.nested)
            .into_iter()
            .map(|node| {
                let classification = self.classifications.get(&node.path);
                Row {
                    key: node
                        .path
                        .strip_prefix(&prefix)
                        .unwrap_or(&node.path)
                        .to_owned(),
                    kind: type_label(self.root, &node.property, self.constants),
                    sent: match (&node.variant, node.required) {
                        (Some(variant), true) => format!("when {variant}"),
                        (_, false) => "no".to_owned(),
                        (None, true) => "yes".to_owned(),
                    },
                    class: classification.map_or_else(
                        || "not recorded".to_owned(),
                        |classification| class_cell(*classification, &node.path),
                    ),
                    purpose: classification
                        .map_or_else(|| "not recorded".to_owned(), |c| format!("`{}`", c.purpose)),
                    description: node.description(self.root).to_owned(),
                }
            })
            .collect()
    }
}

/// A field's class as a table cell: what is sent, what a hash was made from, and for the
/// envelope's fields (whose docs are the runtime's) why they have their class.
fn class_cell(classification: Classification, path: &str) -> String {
    let mut cell = if classification.hashed {
        format!(
            "`{}` (keyed hash of `{}`)",
            classification.sent_class(),
            classification.class
        )
    } else {
        format!("`{}`", classification.class)
    };
    if let Some(field) = envelope_field(path) {
        let _ = write!(cell, ": {}", field.reason);
    }
    cell
}

/// The header of a field table whose first column is `first`.
pub(super) fn header(first: &str) -> String {
    format!(
        "| {first} | Type | Always sent | Class | Purpose | Description |\n\
         |---|---|---|---|---|---|\n"
    )
}

/// The first paragraph of a description, for one-line summaries.
pub(super) fn first_paragraph(text: &str) -> &str {
    text.split("\n\n").next().unwrap_or_default()
}

/// Text fit for a Markdown table cell: hard-wrapped lines joined, list items and paragraphs
/// kept apart with `<br>`, pipes escaped.
pub(super) fn cell(text: &str) -> String {
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
    use super::cell;

    #[test]
    fn table_cells_are_one_line_without_pipes() {
        assert_eq!(
            cell("Which one, wrapped\nhere.\n\n- `a`: A\n- `b`: B | C"),
            "Which one, wrapped here.<br><br>- `a`: A<br>- `b`: B \\| C"
        );
    }
}
