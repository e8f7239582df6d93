//! The derives' compile-time checks: every rejected input in
//! `tests/ui/fail` (one mistake per file, with the exact expected
//! diagnostics in its `.stderr`) and accepted inputs in `tests/ui/pass`.
//!
//! The expectations hold whatever features the facade is built with: the
//! library's own `LabelValue` impls are `#[diagnostic::do_not_recommend]`,
//! so a hint lists only `bool` and the test's own types. Regenerate them
//! with `TRYBUILD=overwrite cargo test -p tally-derive --test ui` and read
//! every `.stderr` diff before committing it.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
