//! The derives' compile-time checks: every rejected input in
//! `tests/ui/fail` (one mistake per file, with the exact expected
//! diagnostics in its `.stderr`) and accepted inputs in `tests/ui/pass`.
//!
//! The expectations are those of the test suite's feature set (the
//! "other types implement `LabelValue`" hints list `tally::Route` with
//! feature `axum`). Regenerate them with
//! `TRYBUILD=overwrite cargo test --all-features --test ui` and read every
//! `.stderr` diff before committing it.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
