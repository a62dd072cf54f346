//! Rules that span the struct's shape, its attributes and its fields; produces the [`Event`]
//! that code generation works from.

use syn::ext::IdentExt;
use syn::{Ident, Path};

use crate::ast::{self, Input, Shape};
use crate::attr::{self, Attrs};
use crate::errors::Errors;

/// The longest `eventType` accepted: it is also part of generated file names.
const MAX_EVENT_TYPE_LEN: usize = 64;

/// An event as code generation needs it. On error, fields hold the best value available, so
/// that the stub impl can still be emitted.
#[allow(clippy::struct_field_names)] // `event_type` is the wire's `eventType`
pub(crate) struct Event<'a> {
    /// The struct's name.
    pub(crate) ident: &'a Ident,
    /// The `eventType`.
    pub(crate) event_type: String,
    /// The schema version (1 when missing or invalid, for the stub).
    pub(crate) version: u32,
    /// The functions returning documented examples.
    pub(crate) examples: Vec<&'a Path>,
    /// Whether the version is still being designed.
    pub(crate) unreleased: bool,
}

/// Checks every rule, recording each violation at the narrowest token.
pub(crate) fn validate<'a>(
    input: &Input<'a>,
    attrs: &'a Attrs<'a>,
    errors: &mut Errors,
) -> Event<'a> {
    check_shape(input, errors);
    check_docs(input, errors);
    check_serde(attrs, errors);

    // Errors about a missing key point at the `#[telemetry]` attribute when there is one.
    let missing_at = |errors: &mut Errors, message: &str| match attrs.first_attr {
        Some(attr) => errors.at(attr, message),
        None => errors.at(input.ident, message),
    };

    let version = match &attrs.version {
        Some(version) if version.value == 0 => {
            errors.at(&version.literal, "expected a version of at least 1");
            1
        }
        Some(version) => version.value,
        None if attrs.unreadable || attrs.seen.contains(&"version") => 1,
        None => {
            missing_at(
                errors,
                "missing `version`, expected `#[telemetry(version = N, example = ...)]`",
            );
            1
        }
    };

    if !attrs.unreadable && !attrs.seen.contains(&"example") {
        missing_at(
            errors,
            "missing `example`, expected `example = path` naming a function that returns \
             `Envelope<Self>`: every event documents a payload",
        );
    }
    let spelled: Vec<String> = attrs.examples.iter().map(attr::path_to_string).collect();
    for (index, path) in attrs.examples.iter().enumerate() {
        if spelled[..index].contains(&spelled[index]) {
            errors.at(path, "duplicate example, expected each function once");
        }
    }

    let event_type = if let Some(literal) = &attrs.event_type {
        let name = literal.value();
        if !is_event_type(&name) {
            errors.at(literal, expected_event_type(&name));
        }
        name
    } else {
        let name = input.ident.unraw().to_string();
        if !is_event_type(&name) {
            errors.at(
                input.ident,
                format_args!(
                    "{}, or set `#[telemetry(event_type = \"...\")]`",
                    expected_event_type(&name)
                ),
            );
        }
        name
    };

    Event {
        ident: input.ident,
        event_type,
        version,
        examples: attrs.examples.iter().collect(),
        unreleased: attrs.unreleased.is_some(),
    }
}

/// An event is a struct with named fields and no generic parameters.
fn check_shape(input: &Input<'_>, errors: &mut Errors) {
    let found = match &input.shape {
        Shape::Named(_) => None,
        Shape::Tuple(fields) => Some((fields.paren_token.span.join(), "a tuple struct")),
        Shape::Unit => Some((input.ident.span(), "a unit struct")),
        Shape::Enum(token) => Some((token.span, "an enum")),
        Shape::Union(token) => Some((token.span, "a union")),
    };
    if let Some((span, what)) = found {
        errors.at_span(
            span,
            format_args!(
                "expected a struct with named fields, found {what}: `eventData` is a JSON object"
            ),
        );
    }
    if !input.generics.params.is_empty() {
        errors.at(
            input.generics,
            "expected a struct without generic parameters: an event's schema is one fixed shape",
        );
    }
}

/// The struct and each field need a doc comment: they become the descriptions in the schema and
/// the generated docs, which is what a user reads to learn what is collected.
fn check_docs(input: &Input<'_>, errors: &mut Errors) {
    if !matches!(input.shape, Shape::Named(_)) {
        return;
    }
    if !ast::has_doc(input.attrs) {
        errors.at(
            input.ident,
            "missing doc comment, expected `/// ...` saying what the event records",
        );
    }
    for field in input.fields() {
        if !ast::has_doc(field.attrs) {
            errors.at(
                field.ident,
                "missing doc comment, expected `/// ...` saying what the field records",
            );
        }
    }
}

/// serde container keys whose output the schema cannot describe as an event.
fn check_serde(attrs: &Attrs<'_>, errors: &mut Errors) {
    if let Some(path) = &attrs.serde_tag {
        errors.at(
            path,
            "unsupported `#[serde(tag)]` on an event, expected a plain field: schemars leaves the \
             tag out of the schema",
        );
    }
    if let Some(path) = &attrs.serde_transparent {
        errors.at(
            path,
            "unsupported `#[serde(transparent)]` on an event, expected `eventData` to be the \
             struct's own JSON object",
        );
    }
}

/// `PascalCase` ASCII: an uppercase letter, then letters and digits. It is used in file names and
/// must read well in every language's JSON tooling.
fn is_event_type(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_alphanumeric())
        && name.len() <= MAX_EVENT_TYPE_LEN
}

fn expected_event_type(name: &str) -> String {
    format!(
        "expected an event type in PascalCase (an uppercase ASCII letter, then letters and \
         digits, at most {MAX_EVENT_TYPE_LEN}), like `StageBuildFinished`, found `{name}`"
    )
}

#[cfg(test)]
mod tests {
    use super::is_event_type;

    #[test]
    fn event_types_are_pascal_case_ascii() {
        for good in ["A", "StageBuildFinished", "Http2Request"] {
            assert!(is_event_type(good), "{good}");
        }
        for bad in [
            "",
            "stage",
            "Stage_Build",
            "Stage-Build",
            "Ünicode",
            "2Fast",
            " Stage",
        ] {
            assert!(!is_event_type(bad), "{bad}");
        }
        assert!(is_event_type(&format!("A{}", "b".repeat(63))));
        assert!(!is_event_type(&format!("A{}", "b".repeat(64))));
    }
}
