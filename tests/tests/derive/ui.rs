//! Compile-fail tests of `#[derive(TelemetryEvent)]`: each case in `ui/` is one mistake, in a
//! folder for what it gets wrong (the struct's shape, the attribute, its version, example or
//! event type, a field, the derives it needs), and its `.stderr` is the exact error the user
//! sees. Bless changes with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/shape/*.rs");
    cases.compile_fail("ui/attr/*.rs");
    cases.compile_fail("ui/version/*.rs");
    cases.compile_fail("ui/example/*.rs");
    cases.compile_fail("ui/event_type/*.rs");
    cases.compile_fail("ui/field/*.rs");
    cases.compile_fail("ui/derives/*.rs");
    cases.pass("ui/pass/*.rs");
}
