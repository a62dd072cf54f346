//! Code generation: pure functions from the validated [`Event`] model to tokens.
//!
//! Generated code names everything by absolute path (`::core::...`,
//! `::telemetry_core::__private::...`) so that it compiles whatever the user's module has in
//! scope, and sits in a `const _: () = { ... };` block so that it adds no names.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::ast::Input;
use crate::valid::Event;

/// The impl of `TelemetryEvent` and the event's registration (compiled in when
/// `telemetry-core`'s `registry` feature is on).
pub(crate) fn event_impl(event: &Event<'_>) -> TokenStream {
    let ident = event.ident;
    let rust_name = ident.unraw().to_string();
    let examples = event.examples.iter().map(|path| {
        // Spanned at the user's path, so that a function of the wrong type is reported there.
        quote_spanned!(path.span()=> #path)
    });
    let trait_items = trait_items(event, &quote!(&[#(#examples),*]));
    quote! {
        #[allow(unused_qualifications)]
        const _: () = {
            #[automatically_derived]
            impl ::telemetry_core::TelemetryEvent for #ident {
                #trait_items
            }

            ::telemetry_core::__private::register!(
                #ident,
                ::core::concat!(::core::module_path!(), "::", #rust_name)
            );
        };
    }
}

/// An impl with no examples and no registration, emitted next to errors so that uses of the
/// trait elsewhere compile and the user sees the derive's errors, not a cascade.
pub(crate) fn stub_impl(input: &Input<'_>, event: &Event<'_>) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let predicates = where_clause.map(|clause| &clause.predicates);
    // The type may not implement the supertraits (that may be one of the errors). Bounds under
    // `for<'..>` are not checked where the impl is declared, so the stub adds no error of its
    // own; it only applies where the bounds hold.
    let where_clause = quote! {
        where
            for<'__telemetry_stub> #ident #type_generics: ::telemetry_core::__private::Serialize
                + ::telemetry_core::__private::EventSchema
                + 'static,
            #predicates
    };
    let trait_items = trait_items(event, &quote!(&[]));
    quote! {
        #[allow(unused_qualifications)]
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::telemetry_core::TelemetryEvent for #ident #type_generics
            #where_clause
            {
                #trait_items
            }
        };
    }
}

/// The associated items, shared by the real impl and the stub.
fn trait_items(event: &Event<'_>, examples: &TokenStream) -> TokenStream {
    let event_type = &event.event_type;
    let version = Literal::u32_unsuffixed(event.version);
    let unreleased = event.unreleased;
    let fields = event.fields.iter().map(|field| {
        let key = field.key.as_ref().map_or_else(
            || quote!(::core::option::Option::None),
            |key| quote!(::core::option::Option::Some(#key)),
        );
        let rust_name = &field.rust_name;
        let class = Ident::new(field.class, Span::call_site());
        let purpose = Ident::new(field.purpose, Span::call_site());
        let hashed = field.hashed;
        quote! {
            ::telemetry_core::classify::Field {
                key: #key,
                rust_name: #rust_name,
                class: ::telemetry_core::classify::DataClass::#class,
                purpose: ::telemetry_core::classify::Purpose::#purpose,
                hashed: #hashed,
            }
        }
    });
    quote! {
        const EVENT_TYPE: &'static ::core::primitive::str = #event_type;
        const SCHEMA_VERSION: ::core::primitive::u32 = #version;
        const UNRELEASED: ::core::primitive::bool = #unreleased;
        const EXAMPLES: &'static [fn() -> ::telemetry_core::Envelope<Self>] = #examples;
        const FIELDS: &'static [::telemetry_core::classify::Field] = &[#(#fields),*];
    }
}
