//! The derive's output compiles whatever names the user's module shadows: it uses absolute
//! paths only.

/// Implements `schemars::JsonSchema` with absolute paths only, for types in modules where
/// schemars' own derive cannot run (it assumes an unshadowed prelude).
macro_rules! json_schema_by_hand {
    ($type:ty, $name:literal) => {
        impl ::schemars::JsonSchema for $type {
            fn schema_name() -> ::std::borrow::Cow<'static, ::core::primitive::str> {
                ::std::borrow::Cow::Borrowed($name)
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                let mut schema = <::schemars::Schema as ::core::default::Default>::default();
                let _previous = schema.insert(
                    <::std::string::String as ::core::convert::From<&::core::primitive::str>>::from(
                        "type",
                    ),
                    ::serde_json::Value::String(<::std::string::String as ::core::convert::From<
                        &::core::primitive::str,
                    >>::from("object")),
                );
                schema
            }
        }
    };
}

/// Every prelude name generated code could lean on, shadowed by something else.
mod shadowed_prelude {
    #![allow(dead_code, non_camel_case_types, clippy::upper_case_acronyms)]

    struct Result;
    struct Option;
    struct Some;
    struct None;
    struct Ok;
    struct Err;
    struct String;
    struct Vec;
    struct Box;
    struct Default;
    struct Clone;
    struct Sized;
    struct u32;
    struct str;
    struct bool;
    mod core {}
    mod std {}
    mod alloc {}
    mod inventory {}
    mod serde {}
    // Not `mod schemars {}`: schemars' own derive names `schemars::...` relatively.
    // Never expanded if generated code keeps to absolute paths, which is the point.
    #[allow(unused_macros)]
    macro_rules! vec {
        ($($tt:tt)*) => {
            ::core::compile_error!("generated code used the user's `vec!`")
        };
    }
    #[allow(unused_macros)]
    macro_rules! concat {
        ($($tt:tt)*) => {
            ::core::compile_error!("generated code used the user's `concat!`")
        };
    }
    #[allow(unused_macros)]
    macro_rules! module_path {
        ($($tt:tt)*) => {
            ::core::compile_error!("generated code used the user's `module_path!`")
        };
    }

    use ::telemetry_core::{Envelope, TelemetryEvent};

    /// An event defined where every common name means something else. Only our derive runs
    /// here (serde's and schemars' derives assume an unshadowed prelude); the supertraits are
    /// implemented in a child module, which does not see these shadows.
    #[derive(TelemetryEvent)]
    #[telemetry(version = 1, example = example)]
    pub(crate) struct Shadowed {
        /// A number.
        #[telemetry(class = system_metadata, purpose = feature_insight)]
        pub(crate) value: ::core::primitive::u32,
    }

    pub(crate) fn example() -> Envelope<Shadowed> {
        Envelope::new(
            &::telemetry_core::Context::default(),
            1,
            Shadowed { value: 2 },
        )
    }

    mod supertraits {
        use serde::ser::SerializeStruct as _;

        impl serde::Serialize for super::Shadowed {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut object = serializer.serialize_struct("Shadowed", 1)?;
                object.serialize_field("value", &self.value)?;
                object.end()
            }
        }

        json_schema_by_hand!(super::Shadowed, "Shadowed");
    }
}

/// A module without the implicit prelude at all.
mod no_implicit_prelude {
    #![no_implicit_prelude]

    use ::telemetry_core::{Envelope, TelemetryEvent};

    /// An event defined without the prelude.
    #[derive(::serde::Serialize, TelemetryEvent)]
    #[telemetry(version = 1, example = example)]
    pub(crate) struct WithoutPrelude {
        /// A flag.
        #[telemetry(class = system_metadata, purpose = feature_insight)]
        pub(crate) flag: ::core::primitive::bool,
    }

    pub(crate) fn example() -> Envelope<WithoutPrelude> {
        Envelope::new(
            &<::telemetry_core::Context as ::core::default::Default>::default(),
            1,
            WithoutPrelude { flag: true },
        )
    }

    json_schema_by_hand!(WithoutPrelude, "WithoutPrelude");
}

#[test]
fn events_derived_in_hostile_modules_work() {
    use telemetry_core::TelemetryEvent;

    assert_eq!(shadowed_prelude::Shadowed::EVENT_TYPE, "Shadowed");
    assert_eq!(shadowed_prelude::Shadowed::examples()[0].event.value, 2);
    assert!(
        no_implicit_prelude::WithoutPrelude::examples()[0]
            .event
            .flag
    );

    let registered: Vec<_> = telemetry_core::registry::iter()
        .map(telemetry_core::registry::EventRegistration::rust_path)
        .collect();
    assert!(registered.contains(&"hygiene::shadowed_prelude::Shadowed"));
    assert!(registered.contains(&"hygiene::no_implicit_prelude::WithoutPrelude"));
}
