//! The user's decision and identity: whether telemetry is on and what decided ([`decide`]), the
//! remembered [`choice`], the user's [`control`]s, whether this run shows the first-run notice
//! ([`first_run`]), and the installation's pseudonymous identifiers ([`installation`],
//! [`hash_key`]), all kept in the telemetry configuration directory ([`config_dir`]). It reads
//! the run's context; it never sends anything.

pub(crate) mod choice;
pub(crate) mod config_dir;
pub(crate) mod control;
pub mod decide;
pub(crate) mod first_run;
pub(crate) mod hash_key;
pub(crate) mod installation;
