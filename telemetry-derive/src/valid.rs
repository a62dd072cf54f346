//! Rules that span the struct's shape, its attributes and its fields; produces the [`Event`]
//! that code generation works from.

use syn::ext::IdentExt;
use syn::{Ident, Path};

use crate::ast::{self, Input, Shape};
use crate::attr::{self, Attrs, CLASSES, PURPOSES, one_of};
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
    /// The classification of every field serde sends.
    pub(crate) fields: Vec<ClassifiedField>,
}

/// One field's classification, as `telemetry_core::classify::Field` has it.
pub(crate) struct ClassifiedField {
    /// The key on the wire; `None` for a flattened field.
    pub(crate) key: Option<String>,
    /// The Rust field's name.
    pub(crate) rust_name: String,
    /// The variant of `DataClass`.
    pub(crate) class: &'static str,
    /// The variant of `Purpose`.
    pub(crate) purpose: &'static str,
    /// Whether the field is sent hashed.
    pub(crate) hashed: bool,
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
        fields: classify(input, attrs, errors),
    }
}

/// Every field serde sends declares its class and purpose; the class of a `Hashed` field may be
/// left out (what is sent is pseudonymized whatever the value was).
fn classify(input: &Input<'_>, attrs: &Attrs<'_>, errors: &mut Errors) -> Vec<ClassifiedField> {
    let mut classified = Vec::new();
    for (field, field_attrs) in input.fields().iter().zip(&attrs.fields) {
        if field_attrs.serde_skip {
            continue;
        }
        let hashed = ast::is_hashed(field.ty);
        let missing = |key: &str, value: Option<&str>| {
            value.is_none() && !field_attrs.unreadable && !field_attrs.seen.contains(&key)
        };
        let no_class = missing("class", field_attrs.class) && !hashed;
        let no_purpose = missing("purpose", field_attrs.purpose);
        match field_attrs.attr {
            None if no_class || no_purpose => errors.at(
                field.ident,
                if hashed {
                    format!(
                        "missing classification, expected `#[telemetry(purpose = ...)]` with one \
                         of {} (the class of a `Hashed` field may be left out)",
                        one_of(PURPOSES)
                    )
                } else {
                    format!(
                        "missing classification, expected `#[telemetry(class = ..., purpose = \
                         ...)]` with `class` one of {} and `purpose` one of {}",
                        one_of(CLASSES),
                        one_of(PURPOSES)
                    )
                },
            ),
            Some(attr) => {
                if no_class {
                    errors.at(
                        attr,
                        format_args!(
                            "missing `class`, expected `class = ...` with one of {}",
                            one_of(CLASSES)
                        ),
                    );
                }
                if no_purpose {
                    errors.at(
                        attr,
                        format_args!(
                            "missing `purpose`, expected `purpose = ...` with one of {}",
                            one_of(PURPOSES)
                        ),
                    );
                }
            }
            None => {}
        }
        let rust_name = field.ident.unraw().to_string();
        let key = (!field_attrs.serde_flatten).then(|| {
            field_attrs
                .serde_rename
                .clone()
                .unwrap_or_else(|| rename(&rust_name, attrs.serde_rename_all.as_deref()))
        });
        classified.push(ClassifiedField {
            key,
            rust_name,
            class: field_attrs.class.unwrap_or(if hashed {
                "EndUserPseudonymized"
            } else {
                "SystemMetadata"
            }),
            purpose: field_attrs.purpose.unwrap_or("FeatureInsight"),
            hashed,
        });
    }
    classified
}

/// A field's name as serde's `rename_all` rule makes it; an unknown rule (which serde reports)
/// leaves it as it is.
fn rename(field: &str, rule: Option<&str>) -> String {
    let pascal = || {
        let mut out = String::with_capacity(field.len());
        let mut capitalize = true;
        for c in field.chars() {
            if c == '_' {
                capitalize = true;
            } else if capitalize {
                out.push(c.to_ascii_uppercase());
                capitalize = false;
            } else {
                out.push(c);
            }
        }
        out
    };
    match rule {
        Some("lowercase") => field.to_ascii_lowercase(),
        Some("UPPERCASE" | "SCREAMING_SNAKE_CASE") => field.to_ascii_uppercase(),
        Some("PascalCase") => pascal(),
        Some("camelCase") => {
            let pascal = pascal();
            let mut chars = pascal.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_lowercase().to_string() + chars.as_str()
            })
        }
        Some("kebab-case") => field.replace('_', "-"),
        Some("SCREAMING-KEBAB-CASE") => field.to_ascii_uppercase().replace('_', "-"),
        _ => field.to_owned(),
    }
}

/// An event is a struct with named fields that owns its data and has no type parameters.
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
    for param in &input.generics.params {
        if let syn::GenericParam::Lifetime(lifetime) = param {
            errors.at(
                lifetime,
                "expected a struct without lifetime parameters: an event is an owned value, \
                 serialised on a background thread after `emit` returns, so it cannot borrow; \
                 use owned types such as `String`",
            );
        } else {
            errors.at(
                param,
                "expected a struct without type or const parameters: an event's schema is one \
                 fixed shape",
            );
        }
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
    use super::{is_event_type, rename};

    #[test]
    fn renames_fields_as_serde_does() {
        let cases = [
            (None, "duration_ms"),
            (Some("camelCase"), "durationMs"),
            (Some("PascalCase"), "DurationMs"),
            (Some("lowercase"), "duration_ms"),
            (Some("UPPERCASE"), "DURATION_MS"),
            (Some("snake_case"), "duration_ms"),
            (Some("SCREAMING_SNAKE_CASE"), "DURATION_MS"),
            (Some("kebab-case"), "duration-ms"),
            (Some("SCREAMING-KEBAB-CASE"), "DURATION-MS"),
            (Some("nonsense"), "duration_ms"),
        ];
        for (rule, expected) in cases {
            assert_eq!(rename("duration_ms", rule), expected, "{rule:?}");
        }
    }

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
