//! `#[tally::instrument]` expands in a crate without the prelude (its
//! generated code, the link-time submission included, names only
//! absolute paths).

#![no_implicit_prelude]

#[::tally::instrument(objective(success = 99.0))]
fn hygienic(n: u64) -> ::core::result::Result<u64, ()> {
    ::core::result::Result::Ok(n)
}

#[test]
fn expands_without_the_prelude_and_is_listed_before_its_first_call() {
    let listed = ::core::iter::Iterator::any(&mut ::tally::instrumented::functions().iter(), |f| {
        f.label == "hygienic"
    });
    ::std::assert!(listed);
    ::std::assert_eq!(hygienic(2), ::core::result::Result::Ok(2));
}
