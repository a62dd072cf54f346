//! The order of precedence, case by case.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::ffi::OsString;
use std::path::PathBuf;

use super::{DecidedBy, PRECEDENCE, Status, from_environment, with_choice};
use crate::runtime::context::settings::{Environment, Settings};
use crate::runtime::decision::choice::Choice;

fn env(vars: &[(&str, &str)]) -> Environment {
    Environment::new(
        vars.iter()
            .map(|(name, value)| (OsString::from(name), OsString::from(value))),
    )
}

fn settings() -> Settings {
    Settings::new("WERF", "werf", "dev")
}

fn status_of(vars: &[(&str, &str)]) -> Status {
    from_environment(&settings(), &env(vars))
}

fn variable(name: &str, value: &str) -> DecidedBy {
    DecidedBy::Variable {
        name: name.into(),
        value: value.into(),
    }
}

fn status(enabled: bool, dry_run: bool, decided_by: DecidedBy) -> Status {
    Status {
        enabled,
        dry_run,
        decided_by,
    }
}

#[test]
fn the_opt_out_matrix() {
    for value in ["0", "false", "no", "off", "FALSE", "Off", " no "] {
        assert_eq!(
            status_of(&[("WERF_TELEMETRY", value)]),
            status(false, false, variable("WERF_TELEMETRY", value))
        );
    }
    for value in ["1", "true", "yes", "on", "anything", "nope"] {
        assert_eq!(
            status_of(&[("WERF_TELEMETRY", value)]),
            status(true, false, variable("WERF_TELEMETRY", value))
        );
    }
    for value in ["local", "LOCAL", " local "] {
        assert_eq!(
            status_of(&[("WERF_TELEMETRY", value)]),
            status(true, true, variable("WERF_TELEMETRY", value))
        );
    }
    for value in ["1", "true", "TRUE", " 1 "] {
        assert_eq!(
            status_of(&[("DO_NOT_TRACK", value)]),
            status(false, false, variable("DO_NOT_TRACK", value))
        );
    }
    for value in ["0", "false", "", "yes"] {
        assert!(
            status_of(&[("DO_NOT_TRACK", value)]).enabled,
            "DO_NOT_TRACK={value}"
        );
    }
    // An explicit "on", or a dry run, does not override DO_NOT_TRACK: any opt-out wins.
    assert!(!status_of(&[("WERF_TELEMETRY", "1"), ("DO_NOT_TRACK", "1")]).enabled);
    assert!(!status_of(&[("WERF_TELEMETRY", "local"), ("DO_NOT_TRACK", "1")]).enabled);
    // Another prefix's switch is not ours.
    assert!(status_of(&[("OTHER_TELEMETRY", "0")]).enabled);
    assert_eq!(status_of(&[]), status(true, false, DecidedBy::Default));
    assert_eq!(
        status_of(&[("WERF_TELEMETRY", " ")]).decided_by,
        DecidedBy::Default
    );

    let mut off = settings();
    off.enabled = false;
    assert_eq!(
        from_environment(&off, &env(&[("WERF_TELEMETRY", "1")])),
        status(false, false, DecidedBy::Program)
    );
}

/// One row of the table as settings: the program's switch, variables, a remembered choice, and
/// the outcome.
type Row = (
    bool,
    &'static [(&'static str, &'static str)],
    Option<Result<Choice, &'static str>>,
    Status,
);

/// Every row of [`PRECEDENCE`], against every row below it: the higher one decides.
#[test]
fn the_precedence_table_holds_row_by_row() {
    let path = PathBuf::from("/config/choice");
    let choice = DecidedBy::Choice { path: path.clone() };
    // For each row: the variables and remembered choice that set it, and the outcome.
    let rows: Vec<Row> = vec![
        (false, &[], None, status(false, false, DecidedBy::Program)),
        (
            true,
            &[("WERF_TELEMETRY", "off")],
            None,
            status(false, false, variable("WERF_TELEMETRY", "off")),
        ),
        (
            true,
            &[("DO_NOT_TRACK", "1")],
            None,
            status(false, false, variable("DO_NOT_TRACK", "1")),
        ),
        (
            true,
            &[],
            Some(Ok(Choice::Disabled)),
            status(false, false, choice.clone()),
        ),
        (
            true,
            &[],
            Some(Err("garbled")),
            status(
                false,
                false,
                DecidedBy::Doubt {
                    path: path.clone(),
                    why: "garbled".into(),
                },
            ),
        ),
        (
            true,
            &[("WERF_TELEMETRY", "local")],
            None,
            status(true, true, variable("WERF_TELEMETRY", "local")),
        ),
        (
            true,
            &[("WERF_TELEMETRY", "1")],
            None,
            status(true, false, variable("WERF_TELEMETRY", "1")),
        ),
        (
            true,
            &[],
            Some(Ok(Choice::Enabled)),
            status(true, false, choice.clone()),
        ),
        (true, &[], None, status(true, false, DecidedBy::Default)),
    ];
    assert_eq!(rows.len(), PRECEDENCE.len());
    for (high, (enabled, vars, remembered, expected)) in rows.iter().enumerate() {
        for (_, lower_vars, lower_choice, _) in rows.iter().skip(high + 1) {
            // The higher row's settings, with the lower row's added where they do not clash.
            let mut all: Vec<(&str, &str)> = vars.to_vec();
            for var in *lower_vars {
                if !all.iter().any(|(name, _)| *name == var.0) {
                    all.push(*var);
                }
            }
            let mut settings = settings();
            settings.enabled = *enabled;
            let read = match remembered.or(*lower_choice) {
                None => Ok(None),
                Some(Ok(choice)) => Ok(Some(choice)),
                Some(Err(why)) => Err(why.to_owned()),
            };
            let decided = with_choice(from_environment(&settings, &env(&all)), read, path.clone());
            assert_eq!(&decided, expected, "{vars:?} {remembered:?} over {all:?}");
        }
    }
}

#[test]
fn statuses_say_what_decided() {
    assert_eq!(status_of(&[]).to_string(), "telemetry is on (the default)");
    assert_eq!(
        status_of(&[("WERF_TELEMETRY", "off")]).to_string(),
        "telemetry is off: WERF_TELEMETRY=off"
    );
    assert_eq!(
        status_of(&[("WERF_TELEMETRY", "local")]).to_string(),
        "telemetry is on as a dry run (events go to the log file only; nothing is sent): \
         WERF_TELEMETRY=local"
    );
    let remembered = with_choice(
        status_of(&[]),
        Ok(Some(Choice::Disabled)),
        PathBuf::from("/c/choice"),
    );
    assert_eq!(
        remembered.to_string(),
        "telemetry is off: the choice remembered in /c/choice"
    );
    let doubt = with_choice(
        status_of(&[("WERF_TELEMETRY", "1")]),
        Err("it says neither `enabled` nor `disabled`".into()),
        PathBuf::from("/c/choice"),
    );
    assert_eq!(
        doubt.to_string(),
        "telemetry is off: /c/choice is not a remembered choice (it says neither `enabled` nor \
         `disabled`), and doubt counts as an opt-out"
    );
}

#[test]
#[cfg(unix)]
fn non_utf8_values_never_disable_by_accident_nor_panic() {
    use std::os::unix::ffi::OsStringExt;
    let vars = [(
        OsString::from("WERF_TELEMETRY"),
        OsString::from_vec(vec![b'0', 0xff]),
    )];
    assert_eq!(
        from_environment(&settings(), &Environment::new(vars)),
        status(true, false, variable("WERF_TELEMETRY", "0\u{fffd}"))
    );
}
