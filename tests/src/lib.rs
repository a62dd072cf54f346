//! Integration tests of the telemetry workspace; the tests are in `tests/`, the derive's
//! compile-fail cases in `ui/`, fixtures in `fixtures/`.

/// The README's code blocks, run as doctests so that the quick start keeps compiling.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
