//! The files of one event version: its schema file and its examples file.

use serde_json::Value;

use super::json::pretty;
use crate::paths::schema_comment;

/// An event schema file: the schema with the generated-file marker, and whether the version is
/// unreleased, as its `$comment`.
pub fn render_event_schema(schema: &Value, unreleased: bool) -> String {
    let mut schema = schema.clone();
    if let Some(object) = schema.as_object_mut() {
        object.insert("$comment".into(), schema_comment(unreleased).into());
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
