//! The run's context: what the host program says ([`settings`], the first-run [`notice`] it
//! configures), what the environment says (the variables in [`environment`], read once), and
//! what is detected about where the program runs ([`detect`]: OS, CPU and CI system; the
//! [`project_id`] from the git repository, through [`git`]). Nothing here decides whether
//! telemetry is on, or sends anything.

pub mod detect;
pub mod environment;
pub(crate) mod git;
pub(crate) mod notice;
pub mod project_id;
pub(crate) mod settings;
