//! What is rendered from the event versions, once publishing has merged them with what earlier
//! runs wrote: each version's own files ([`event_files`]), the [`stream`] schema of every
//! version, the [`catalogue`], the human [`docs`], the [`log_line`] schema, and the
//! [`clickhouse`] tables and views, which end with the warehouse's `erasure`. Each renderer is
//! a pure function of the versions and the configuration; they share how JSON files are
//! written ([`json`]).

pub mod catalogue;
pub mod clickhouse;
pub mod docs;
pub(crate) mod event_files;
pub(crate) mod json;
pub mod log_line;
pub mod stream;
