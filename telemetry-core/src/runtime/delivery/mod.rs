//! The delivery of events, on background threads: the [`worker`] takes each event from the
//! host program's [`queue`], serialises it and hands it to the [`log_file`]'s thread and to the
//! [`sink`]s, among them the OTLP transport ([`otlp`], through the [`proxy`] the environment
//! names); what goes wrong becomes [`diagnostics`]. What the host program's thread and these
//! threads share is in [`shared`]. It applies the user's decision; it never makes it.

pub mod diagnostics;
pub(crate) mod log_file;
pub mod otlp;
pub mod proxy;
pub(crate) mod queue;
pub(crate) mod shared;
pub mod sink;
pub(crate) mod transport;
pub(crate) mod url;
pub(crate) mod worker;
