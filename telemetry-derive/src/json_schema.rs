//! `#[derive(telemetry_core::JsonSchema)]`: schemars' `JsonSchema` for a type, compiled only
//! when `telemetry-core` has its `schema` feature (the xtask, the tools that read schemas), so
//! that a program that only sends events builds neither schemars nor its derive.
//!
//! The expansion hands `telemetry_core::__json_schema!` a private copy of the type that derives
//! schemars' `JsonSchema` (its `doc`, `serde`, `schemars` and `cfg` attributes kept, so the schema
//! is the one schemars derives for the type itself, name included), and an impl for the type
//! that delegates to the copy. With the feature, the macro emits both; without it, nothing.

use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote};

/// The expansion for `input`.
pub(crate) fn expand(input: &syn::DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let copy_ident = format_ident!("__TelemetryJsonSchemaOf{}", ident);
    let mut copy = input.clone();
    copy.ident = copy_ident.clone();
    copy.vis = syn::Visibility::Inherited;
    keep_schema_attributes(&mut copy.attrs);
    match &mut copy.data {
        syn::Data::Struct(data) => {
            for field in &mut data.fields {
                keep_schema_attributes(&mut field.attrs);
                field.vis = syn::Visibility::Inherited;
            }
        }
        syn::Data::Enum(data) => {
            for variant in &mut data.variants {
                keep_schema_attributes(&mut variant.attrs);
                for field in &mut variant.fields {
                    keep_schema_attributes(&mut field.attrs);
                }
            }
        }
        syn::Data::Union(data) => {
            return syn::Error::new(
                data.union_token.span,
                "`JsonSchema` is derived for structs and enums, not unions",
            )
            .to_compile_error();
        }
    }
    // The copy's schema carries the type's own name, unless serde or schemars renames it.
    let name = (!renamed(&input.attrs)).then(|| {
        let name = ident.to_string();
        quote!(#[schemars(rename = #name)])
    });
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let predicates = where_clause.map(|clause| &clause.predicates);
    let schemars = quote!(::telemetry_core::__private::schemars);
    let copy_type = quote!(<#copy_ident #type_generics as #schemars::JsonSchema>);
    quote! {
        ::telemetry_core::__json_schema! {
            #[derive(::telemetry_core::__private::JsonSchema)]
            #[schemars(crate = "::telemetry_core::__private::schemars")]
            #name
            #[allow(dead_code, non_camel_case_types, clippy::all, clippy::pedantic)]
            #copy

            #[automatically_derived]
            impl #impl_generics #schemars::JsonSchema for #ident #type_generics
            where
                #copy_ident #type_generics: #schemars::JsonSchema,
                #predicates
            {
                fn inline_schema() -> bool {
                    #copy_type::inline_schema()
                }

                fn schema_name() -> ::std::borrow::Cow<'static, str> {
                    #copy_type::schema_name()
                }

                fn schema_id() -> ::std::borrow::Cow<'static, str> {
                    #copy_type::schema_id()
                }

                fn json_schema(generator: &mut #schemars::SchemaGenerator) -> #schemars::Schema {
                    #copy_type::json_schema(generator)
                }
            }
        }
    }
}

/// Keeps what schemars reads, and `cfg`: any other derive's attributes (`telemetry`, say) would
/// be unknown on the copy.
fn keep_schema_attributes(attrs: &mut Vec<syn::Attribute>) {
    attrs.retain(|attr| {
        ["doc", "serde", "schemars", "cfg"]
            .iter()
            .any(|name| attr.path().is_ident(name))
    });
}

/// Whether a container attribute of serde or schemars renames the type (`rename = ...` or
/// `rename(...)`, not `rename_all`).
fn renamed(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("serde") || attr.path().is_ident("schemars"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::List(list) => Some(list.tokens.clone()),
            _ => None,
        })
        .any(|tokens| {
            tokens
                .into_iter()
                .any(|token| matches!(&token, TokenTree::Ident(ident) if ident == "rename"))
        })
}

#[cfg(test)]
mod tests {
    use super::renamed;

    fn attrs(source: &str) -> Vec<syn::Attribute> {
        let item: syn::DeriveInput = syn::parse_str(&format!("{source} struct S;")).unwrap();
        item.attrs
    }

    #[test]
    fn a_rename_of_the_type_is_seen_and_rename_all_is_not() {
        assert!(renamed(&attrs(r#"#[serde(rename = "T")]"#)));
        assert!(renamed(&attrs(r#"#[schemars(rename = "T")]"#)));
        assert!(renamed(&attrs(
            r#"#[serde(deny_unknown_fields, rename(serialize = "T"))]"#
        )));
        assert!(!renamed(&attrs(r#"#[serde(rename_all = "camelCase")]"#)));
        assert!(!renamed(&attrs("/// rename\n#[doc = \"rename\"]")));
    }
}
