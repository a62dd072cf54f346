//! Compile-fail tests of `#[derive(TelemetryEvent)]`: each case in `ui/` is one mistake, and its
//! `.stderr` is the exact error the user sees. Bless changes with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/shape/*.rs");
    cases.compile_fail("ui/attr/*.rs");
    cases.compile_fail("ui/derives/*.rs");
    cases.pass("ui/pass/*.rs");
}
