//! The event model: the [`TelemetryEvent`](crate::TelemetryEvent) trait, the envelope that
//! carries an event with its run's context, the fast encoder of envelopes, and the registry of
//! every event a program links. Nothing here does I/O.

pub mod classify;
pub(crate) mod command_option;
pub(crate) mod context;
pub(crate) mod encode;
pub(crate) mod envelope;
pub(crate) mod event;
pub(crate) mod guard;
pub(crate) mod hashed;
#[cfg(feature = "schema")]
pub mod registry;
