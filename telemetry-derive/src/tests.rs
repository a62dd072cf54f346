//! Expansion snapshots: what the derive generates, pretty-printed, for the shapes that matter.

use quote::quote;

/// Runs the derive on `input` and pretty-prints what it generates.
fn expand(input: proc_macro2::TokenStream) -> String {
    let input: syn::DeriveInput = syn::parse2(input).expect("test input parses");
    let output = crate::derive(&input);
    // prettyplease prints syn 2's syntax trees; the derive is built with syn 3.
    let file: syn2::File = syn2::parse2(output).expect("derive output parses as items");
    prettyplease::unparse(&file)
}

#[test]
fn expands_an_event() {
    insta::assert_snapshot!(expand(quote! {
        /// Individual stage build completed.
        #[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
        #[serde(rename_all = "camelCase")]
        #[telemetry(version = 2, example = examples::stage_build_finished)]
        pub struct StageBuildFinished {
            /// The image's name.
            #[telemetry(class = customer_content, purpose = feature_insight)]
            pub image: String,
            /// How long it took.
            #[serde(rename = "ms")]
            #[telemetry(class = system_metadata, purpose = performance_and_health)]
            pub duration_ms: u64,
            /// The plugin that built it, hashed.
            #[telemetry(purpose = business_insight)]
            pub plugin: Option<telemetry_core::Hashed<String>>,
            /// Never sent.
            #[serde(skip)]
            pub scratch: u8,
        }
    }));
}

#[test]
fn expands_every_key() {
    insta::assert_snapshot!(expand(quote! {
        /// A deployment was rolled back.
        #[telemetry(version = 3, event_type = "Rollback", unreleased)]
        #[telemetry(example = crate::examples::one, example = self::two)]
        struct r#RolledBack {
            /// How many releases.
            #[telemetry(class = system_metadata, purpose = feature_insight)]
            r#releases: u32,
        }
    }));
}

#[test]
fn expands_errors_with_a_stub_impl() {
    insta::assert_snapshot!(expand(quote! {
        /// Generic, and more wrong.
        #[telemetry(version = "2", bogus, example = 42)]
        struct Wrong<T> where T: Clone {
            /// A field.
            value: T,
        }
    }));
}
