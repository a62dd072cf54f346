#![doc = include_str!("../README.md")]
//!
//! ## How the derive is built
//!
//! It works in phases over a typed model, each phase its own module:
//!
//! 1. `ast`: the input's shape, keeping references into the original syntax for spans;
//! 2. `attr`: `#[telemetry(...)]` (and the few `#[serde(...)]` keys that matter) parsed;
//! 3. `valid`: the rules that span several attributes and fields, producing a `valid::Event`;
//! 4. `expand`: pure code generation from that model.
//!
//! Errors from every phase accumulate, so one compile shows all the problems of an item; when
//! there are any, a stub impl is emitted as well so that uses of the trait elsewhere do not add a
//! cascade of secondary errors.

mod ast;
mod attr;
mod errors;
mod expand;
mod json_schema;
mod valid;

#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;

/// Derives `telemetry_core::TelemetryEvent` for a struct with named fields.
///
/// ```text
/// /// Individual stage build completed.
/// #[derive(serde::Serialize, telemetry_core::JsonSchema, TelemetryEvent)]
/// #[serde(rename_all = "camelCase")]
/// #[telemetry(version = 2, example = examples::stage_build_finished)]
/// pub struct StageBuildFinished { /* fields, each with a doc comment */ }
/// ```
///
/// Keys of `#[telemetry(...)]`:
///
/// - `version = N` (required): the schema version, an integer from 1;
/// - `example = path` (required, repeatable): a function returning `Envelope<Self>`;
/// - `event_type = "Name"`: the `eventType`, `PascalCase`; defaults to the struct's name;
/// - `unreleased`: the version is still being designed and its published files may change.
#[proc_macro_derive(TelemetryEvent, attributes(telemetry))]
pub fn derive_telemetry_event(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive(&input).into()
}

/// Derives schemars' `JsonSchema` only where schemas are read: with `telemetry-core`'s `schema`
/// feature, the impl `#[derive(schemars::JsonSchema)]` gives; without it, nothing, so that a
/// program that only sends events builds neither schemars nor its derive. Use it through
/// `telemetry_core::JsonSchema`, on events and on the types of their fields; the container and
/// field attributes are schemars' own (`#[schemars(...)]`, and the `#[serde(...)]` keys it
/// reads).
#[proc_macro_derive(JsonSchema, attributes(schemars, serde))]
pub fn derive_json_schema(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    json_schema::expand(&input).into()
}

/// Runs every phase; the proc-macro-free core of the derive, so that tests can call it.
fn derive(input: &syn::DeriveInput) -> TokenStream {
    let mut errors = errors::Errors::default();
    let ast = ast::Input::from_syn(input);
    let attrs = attr::Attrs::from_ast(&ast, &mut errors);
    let event = valid::validate(&ast, &attrs, &mut errors);
    match errors.finish() {
        Ok(()) => expand::event_impl(&event),
        Err(error) => {
            let mut tokens = error.to_compile_error();
            tokens.extend(expand::stub_impl(&ast, &event));
            tokens
        }
    }
}
