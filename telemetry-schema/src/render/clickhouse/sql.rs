//! SQL text: literals, identifiers and names, shared by every statement of the warehouse.

use crate::model::fields::Classification;

/// A SQL string literal, on one line.
pub(crate) fn string(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("'{}'", one_line.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// An identifier in backquotes.
pub(crate) fn quoted_identifier(name: &str) -> String {
    format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
}

/// A program's name as part of an identifier: letters, digits and `_`.
pub(crate) fn identifier_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// `BuildFinished` → `build_finished`, `CIRunStarted` → `ci_run_started`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (index, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            let previous = chars[index - 1];
            let next_is_lower = chars.get(index + 1).is_some_and(char::is_ascii_lowercase);
            if previous.is_ascii_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_ascii_uppercase() && next_is_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `description` followed by the class and purpose.
pub(crate) fn with_class(description: &str, classification: Classification) -> String {
    let class = if classification.hashed {
        format!(
            "{} (keyed hash of {})",
            classification.sent_class(),
            classification.class
        )
    } else {
        classification.class.to_string()
    };
    let description = description.trim();
    let separator = if description.is_empty() { "" } else { " " };
    format!(
        "{description}{separator}Class: {class}; purpose: {}.",
        classification.purpose
    )
}

/// The first paragraph of `text`.
pub(crate) fn first_line(text: &str) -> &str {
    text.split("\n\n").next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{snake_case, string};

    #[test]
    fn names_and_literals() {
        assert_eq!(snake_case("BuildFinished"), "build_finished");
        assert_eq!(snake_case("CIRunStarted"), "ci_run_started");
        assert_eq!(snake_case("Http2Request"), "http2_request");
        assert_eq!(string("it's \\ a\n  test"), "'it\\'s \\\\ a test'");
    }
}
