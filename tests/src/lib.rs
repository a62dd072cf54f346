//! Integration tests of the telemetry workspace; the tests are in `tests/`, the derive's
//! compile-fail cases in `ui/`, fixtures in `fixtures/`.

/// The README's code blocks, run as doctests so that the quick start keeps compiling.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// A change that makes a valid payload invalid, and what it is, for messages.
pub type Mutation = (&'static str, fn(&mut serde_json::Value));

/// Asserts that every validator (named, for messages) rejects `valid` after each mutation.
///
/// # Panics
///
/// When a validator accepts a mutated payload.
pub fn assert_rejected(
    valid: &serde_json::Value,
    mutations: &[Mutation],
    validators: &[(&str, &jsonschema::Validator)],
) {
    for (what, mutate) in mutations {
        let mut payload = valid.clone();
        mutate(&mut payload);
        for (name, validator) in validators {
            assert!(!validator.is_valid(&payload), "the {name} accepts {what}");
        }
    }
}
