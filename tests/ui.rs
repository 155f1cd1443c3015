//! Compile-time behaviour of `#[sandbox::pledge]`: one `tests/ui/*.rs` file per mistake, each
//! with the `.stderr` that spells out the expected error, and `tests/ui/pass/*.rs` for every
//! shape of function the attribute accepts.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
