//! Parses `#[telemetry(...)]` on the struct and on its fields with `parse_nested_meta`, and the
//! `#[serde(...)]` keys that decide whether a struct can be an event at all and what its fields
//! are called on the wire.
//!
//! This phase checks syntax only (is `version` an integer, is `example` a path, is `class` one
//! of the classes); rules that involve several keys or the struct's shape live in
//! [`crate::valid`].

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitInt, LitStr, Path};

use crate::ast::Input;
use crate::errors::Errors;

/// The keys `#[telemetry(...)]` accepts on the struct, as listed in error messages.
const EXPECTED_KEYS: &str = "`version`, `example`, `event_type`, `unreleased`";

/// The keys `#[telemetry(...)]` accepts on a field.
const EXPECTED_FIELD_KEYS: &str = "`class` or `purpose`";

/// The classes of `class = ...`: the names `telemetry_core::classify::DataClass` has, and its
/// variants.
pub(crate) const CLASSES: &[(&str, &str)] = &[
    ("system_metadata", "SystemMetadata"),
    ("call_stack_or_exception", "CallStackOrException"),
    ("customer_content", "CustomerContent"),
    ("end_user_pseudonymized", "EndUserPseudonymized"),
    ("public_personal", "PublicPersonal"),
    ("public_non_personal", "PublicNonPersonal"),
];

/// The purposes of `purpose = ...`, and `telemetry_core::classify::Purpose`'s variants.
pub(crate) const PURPOSES: &[(&str, &str)] = &[
    ("feature_insight", "FeatureInsight"),
    ("performance_and_health", "PerformanceAndHealth"),
    ("business_insight", "BusinessInsight"),
    ("security_and_auditing", "SecurityAndAuditing"),
];

/// `` `a`, `b` or `c` ``: the names of a vocabulary, for messages.
pub(crate) fn one_of(vocabulary: &[(&str, &str)]) -> String {
    let names: Vec<String> = vocabulary
        .iter()
        .map(|(name, _)| format!("`{name}`"))
        .collect();
    names.join(", ")
}

/// What the attributes of one item say.
#[derive(Default)]
pub(crate) struct Attrs<'a> {
    /// `version = N`, parsed.
    pub(crate) version: Option<Version>,
    /// `event_type = "..."`, not yet checked for form.
    pub(crate) event_type: Option<LitStr>,
    /// Every `example = path`, in order.
    pub(crate) examples: Vec<Path>,
    /// `unreleased`, with the span of the key.
    pub(crate) unreleased: Option<Span>,
    /// The keys given, valid or not: a key with a bad value is not also reported missing.
    pub(crate) seen: Vec<&'static str>,
    /// Whether a `#[telemetry]` attribute could not be read at all; its keys are then unknown
    /// and none is reported missing.
    pub(crate) unreadable: bool,
    /// The first `#[telemetry]` attribute: where errors about a missing key point.
    pub(crate) first_attr: Option<&'a Attribute>,
    /// `#[serde(tag = "...")]`: the key's path.
    pub(crate) serde_tag: Option<Path>,
    /// `#[serde(transparent)]`: the key's path.
    pub(crate) serde_transparent: Option<Path>,
    /// `#[serde(rename_all = "...")]` (or its `serialize` form): how fields are renamed.
    pub(crate) serde_rename_all: Option<String>,
    /// What each field's attributes say, in field order.
    pub(crate) fields: Vec<FieldAttrs<'a>>,
}

/// What the attributes of one field say.
#[derive(Default)]
pub(crate) struct FieldAttrs<'a> {
    /// The first `#[telemetry]` attribute on the field: where errors about a missing key point.
    pub(crate) attr: Option<&'a Attribute>,
    /// `class = ...`: the variant of `DataClass`.
    pub(crate) class: Option<&'static str>,
    /// `purpose = ...`: the variant of `Purpose`.
    pub(crate) purpose: Option<&'static str>,
    /// The keys given, valid or not: a key with a bad value is not also reported missing.
    pub(crate) seen: Vec<&'static str>,
    /// Whether a `#[telemetry]` attribute could not be read, or had a wrong key or value: one
    /// clear error then, not a missing key besides.
    pub(crate) unreadable: bool,
    /// `#[serde(rename = "...")]` (or its `serialize` form).
    pub(crate) serde_rename: Option<String>,
    /// `#[serde(skip)]` or `#[serde(skip_serializing)]`: never sent.
    pub(crate) serde_skip: bool,
    /// `#[serde(flatten)]`: the field's keys are its type's.
    pub(crate) serde_flatten: bool,
}

/// A `version = N` value with the literal it came from.
pub(crate) struct Version {
    pub(crate) value: u32,
    pub(crate) literal: LitInt,
}

impl<'a> Attrs<'a> {
    /// Parses the attributes of the item and of its fields, recording every error.
    pub(crate) fn from_ast(input: &Input<'a>, errors: &mut Errors) -> Self {
        let mut attrs = Attrs::default();
        for attr in input.attrs {
            if attr.path().is_ident("telemetry") {
                attrs.first_attr.get_or_insert(attr);
                if let Err(error) = attr.parse_nested_meta(|meta| attrs.parse_key(&meta, errors)) {
                    attrs.unreadable = true;
                    errors.push(error);
                }
            } else if attr.path().is_ident("serde") {
                attrs.parse_serde(attr);
            }
        }
        attrs.fields = input
            .fields()
            .iter()
            .map(|field| FieldAttrs::from_attrs(field.attrs, errors))
            .collect();
        attrs
    }

    /// Parses one key of `#[telemetry(...)]`. Problems with a key's value are recorded and
    /// parsing goes on with the next key, so that every mistake is reported at once.
    fn parse_key(&mut self, meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<()> {
        let path = &meta.path;
        let key = path_to_string(path);
        let known = match key.as_str() {
            "version" => "version",
            "event_type" => "event_type",
            "unreleased" => "unreleased",
            "example" => "example",
            _ => {
                errors.at(
                    path,
                    format_args!("unknown key `{key}`, expected one of {EXPECTED_KEYS}"),
                );
                return skip_value(meta);
            }
        };
        let duplicate = known != "example" && self.seen.contains(&known);
        self.seen.push(known);
        if duplicate {
            errors.at(
                path,
                format_args!("duplicate key `{key}`, expected it once"),
            );
            return skip_value(meta);
        }

        if key == "unreleased" {
            if meta.input.is_empty() || meta.input.peek(syn::Token![,]) {
                self.unreleased = Some(path.span());
            } else {
                errors.at(path, "unexpected value, expected `unreleased` on its own");
                skip_value(meta)?;
            }
            return Ok(());
        }

        let Some(value) = take_value(meta)?.filter(|value| !value.is_empty()) else {
            let expected = match key.as_str() {
                "version" => "expected `version = N`, like `version = 1`",
                "event_type" => {
                    "expected `event_type = \"...\"`, like `event_type = \"BuildStarted\"`"
                }
                _ => "expected `example = path`, naming a function that returns `Envelope<Self>`",
            };
            errors.at(path, expected);
            return Ok(());
        };
        match key.as_str() {
            "version" => match syn::parse2::<LitInt>(value.clone()) {
                Ok(literal) => match literal.base10_parse::<u32>() {
                    Ok(value) => self.version = Some(Version { value, literal }),
                    Err(_) => errors.at(
                        &literal,
                        format_args!("expected a version from 1 to {}", u32::MAX),
                    ),
                },
                Err(_) => errors.at(&value, "expected an integer literal, like `version = 2`"),
            },
            "event_type" => match syn::parse2::<LitStr>(value.clone()) {
                Ok(literal) => self.event_type = Some(literal),
                Err(_) => errors.at(
                    &value,
                    "expected a string literal, like `event_type = \"BuildStarted\"`",
                ),
            },
            _ => match syn::parse2::<Path>(value.clone()) {
                Ok(path) => self.examples.push(path),
                Err(_) => errors.at(
                    &value,
                    "expected a path to a function returning `Envelope<Self>`, \
                     like `example = examples::build_started`",
                ),
            },
        }
        Ok(())
    }

    /// Notes the `#[serde(...)]` container keys that no event can use, and how fields are
    /// renamed. Everything else is serde's business, including reporting malformed serde
    /// attributes.
    fn parse_serde(&mut self, attr: &Attribute) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("tag") {
                self.serde_tag.get_or_insert_with(|| meta.path.clone());
            } else if meta.path.is_ident("transparent") {
                self.serde_transparent
                    .get_or_insert_with(|| meta.path.clone());
            } else if meta.path.is_ident("rename_all") {
                if let Some(rule) = serialized_name(&meta)? {
                    self.serde_rename_all = Some(rule);
                }
                return Ok(());
            }
            skip_value(&meta)
        });
    }
}

impl<'a> FieldAttrs<'a> {
    /// Parses the attributes of one field, recording every error.
    fn from_attrs(attrs: &'a [Attribute], errors: &mut Errors) -> Self {
        let mut field = FieldAttrs::default();
        for attr in attrs {
            if attr.path().is_ident("telemetry") {
                field.attr.get_or_insert(attr);
                if let Err(error) = attr.parse_nested_meta(|meta| field.parse_key(&meta, errors)) {
                    field.unreadable = true;
                    errors.push(error);
                }
            } else if attr.path().is_ident("serde") {
                let _ = attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident("rename") {
                        if let Some(name) = serialized_name(&meta)? {
                            field.serde_rename = Some(name);
                        }
                        return Ok(());
                    }
                    if meta.path.is_ident("skip") || meta.path.is_ident("skip_serializing") {
                        field.serde_skip = true;
                    } else if meta.path.is_ident("flatten") {
                        field.serde_flatten = true;
                    }
                    skip_value(&meta)
                });
            }
        }
        field
    }

    /// Parses one key of a field's `#[telemetry(...)]`.
    fn parse_key(&mut self, meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<()> {
        let path = &meta.path;
        let key = path_to_string(path);
        let (known, vocabulary) = match key.as_str() {
            "class" => ("class", CLASSES),
            "purpose" => ("purpose", PURPOSES),
            _ => {
                self.unreadable = true;
                errors.at(
                    path,
                    format_args!("unknown key `{key}`, expected {EXPECTED_FIELD_KEYS}"),
                );
                return skip_value(meta);
            }
        };
        if self.seen.contains(&known) {
            errors.at(
                path,
                format_args!("duplicate key `{key}`, expected it once"),
            );
            return skip_value(meta);
        }
        self.seen.push(known);
        let expected = || format!("expected `{key} = ...` with one of {}", one_of(vocabulary));
        let Some(value) = take_value(meta)?.filter(|value| !value.is_empty()) else {
            errors.at(path, expected());
            return Ok(());
        };
        let Ok(name) = syn::parse2::<syn::Ident>(value.clone()) else {
            errors.at(&value, expected());
            return Ok(());
        };
        match vocabulary.iter().find(|(spelled, _)| name == spelled) {
            Some((_, variant)) if known == "class" => self.class = Some(variant),
            Some((_, variant)) => self.purpose = Some(variant),
            None => errors.at(
                &name,
                format_args!(
                    "unknown {key} `{name}`, expected one of {}",
                    one_of(vocabulary)
                ),
            ),
        }
        Ok(())
    }
}

/// The serialised name a serde `rename`/`rename_all` key gives: `= "..."`, or
/// `(serialize = "...")`; `None` when only `deserialize` is given.
fn serialized_name(meta: &ParseNestedMeta<'_>) -> syn::Result<Option<String>> {
    if meta.input.peek(syn::Token![=]) {
        let literal: LitStr = meta.value()?.parse()?;
        return Ok(Some(literal.value()));
    }
    let mut name = None;
    meta.parse_nested_meta(|nested| {
        let literal: LitStr = nested.value()?.parse()?;
        if nested.path.is_ident("serialize") {
            name = Some(literal.value());
        }
        Ok(())
    })?;
    Ok(name)
}

/// Takes the tokens after `=` up to the next top-level comma; `None` when there is no `=`.
///
/// Values are taken as raw tokens and parsed afterwards so that a value of the wrong kind gets
/// this derive's own message rather than a generic parse error.
fn take_value(meta: &ParseNestedMeta<'_>) -> syn::Result<Option<TokenStream>> {
    if !meta.input.peek(syn::Token![=]) {
        return Ok(None);
    }
    meta.input.parse::<syn::Token![=]>()?;
    meta.input.step(|cursor| {
        let mut rest = *cursor;
        let mut value = TokenStream::new();
        while let Some((tree, next)) = rest.token_tree() {
            if matches!(&tree, TokenTree::Punct(punct) if punct.as_char() == ',') {
                break;
            }
            value.extend([tree]);
            rest = next;
        }
        Ok((Some(value), rest))
    })
}

/// Skips whatever follows a key (`= value` or `(...)`), so that parsing can go on.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::token::Paren) {
        let _nested: TokenTree = meta.input.parse()?;
        Ok(())
    } else {
        take_value(meta).map(drop)
    }
}

/// A path as the user wrote it, without the spaces `ToTokens` puts around `::`.
pub(crate) fn path_to_string(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}
