//! The model of an event version: what the derive registered, made into an [`EventVersion`]:
//! its envelope's JSON Schema ([`schema`], through schemars and this generator's [`transform`]s
//! into [`standard`] keywords), its fields with their classes and purposes ([`fields`]), the
//! wire order of its keys ([`key_order`]) and the [`amendment`]s made to it since it was
//! published. Nothing here reads or writes a file.
//!
//! [`EventVersion`]: version::EventVersion

pub(crate) mod adapt;
pub(crate) mod amendment;
pub mod fields;
pub(crate) mod key_order;
pub(crate) mod schema;
pub mod standard;
pub(crate) mod transform;
pub(crate) mod version;
pub(crate) mod walk;
