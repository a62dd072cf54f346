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

/// Whether a file named `name` in the configuration directory is, or may become, one of
/// telemetry's own: the choice and what is kept aside of it, the identifiers, the first-run
/// notice's markers, and the hidden files each is written through.
pub(crate) fn is_own_file_name(name: &str) -> bool {
    [
        choice::FILE_NAME,
        installation::FILE_NAME,
        hash_key::FILE_NAME,
    ]
    .contains(&name)
        || name.starts_with(first_run::MARKER_PREFIX)
        || name
            .strip_prefix(choice::FILE_NAME)
            .is_some_and(|rest| rest.starts_with('.'))
        || name.starts_with('.')
}
