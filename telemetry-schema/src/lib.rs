#![doc = include_str!("../README.md")]
//!
//! ## How the crate is built
//!
//! The data flows top-down, each step a pure function, except the last; each step is a folder
//! (a room) that imports only from the steps above it and from the leaves:
//!
//! 1. the event types a program links register themselves ([`telemetry_core::registry`]);
//! 2. `model/`: each becomes an [`EventVersion`]: its envelope's schema ([`event_schema`], in
//!    [`standard`] keywords), its classified [`fields`], its examples with their keys in wire
//!    order;
//! 3. `publish/`: [`publish`] merges them with what earlier runs published, which never changes,
//!    reading the record back and classifying every change ([`compat`]);
//! 4. `render/`: every file is rendered from the merged versions: event schemas and examples,
//!    the [stream schema](stream), the [catalogue], the [docs], the [log-line schema](log_line)
//!    and, when asked for, the [ClickHouse tables and views](clickhouse);
//! 5. at the top: [`files::generate`] lists every file and the renderer that makes it, [`Config`]'s
//!    `run` goes through the steps, and [`sync`], the one function that touches the file system,
//!    writes or checks them; [`cli::main`] is the command line around it.
//!
//! The leaves every step may use: where each file goes and what marks it as generated (`paths`,
//! re-exported by [`files`]), the [`Config`], the policy's [`Rule`]s, and the [`Error`]s.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "registry")]
pub mod cli;
mod config;
mod error;
pub mod files;
mod model;
mod paths;
mod policy;
pub mod publish;
mod render;
mod run;
pub mod sync;

pub use config::{Config, OtelTraces};
pub use error::Error;
pub use model::schema::{colliding_definitions, event_schema, registered_event_schema, settings};
pub use model::version::EventVersion;
pub use model::{fields, standard};
pub use paths::{GENERATED_MARKER, version_key};
pub use policy::{Rule, Violation};
pub use publish::compat;
pub use render::{catalogue, clickhouse, docs, log_line, stream};
pub use run::workspace_root;
/// The vocabulary of [`Config::forbid`] and of every field's classification, re-exported so that
/// an xtask needs no other crate to state its policy.
pub use telemetry_core::classify::{DataClass, Purpose};
