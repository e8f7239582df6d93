//! Every Rust snippet of README.md and the guides in docs/ compiles: each
//! file is the doc comment of an item that exists only under
//! `cfg(doctest)`, so `cargo test --doc` runs its snippets (with the
//! features the guide needs).

/// README.md
#[cfg(all(doctest, feature = "axum"))]
#[doc = include_str!("../README.md")]
pub struct Readme;

/// docs/labels.md
#[cfg(doctest)]
#[doc = include_str!("../docs/labels.md")]
pub struct Labels;

/// docs/attributes.md
#[cfg(doctest)]
#[doc = include_str!("../docs/attributes.md")]
pub struct Attributes;

/// docs/windows.md
#[cfg(doctest)]
#[doc = include_str!("../docs/windows.md")]
pub struct Windows;

/// docs/http.md
#[cfg(all(doctest, feature = "axum"))]
#[doc = include_str!("../docs/http.md")]
pub struct Http;

/// docs/testing.md
#[cfg(doctest)]
#[doc = include_str!("../docs/testing.md")]
pub struct Testing;

/// docs/push.md
#[cfg(all(doctest, feature = "push"))]
#[doc = include_str!("../docs/push.md")]
pub struct Push;

/// docs/bridges.md
#[cfg(all(doctest, feature = "metrics-recorder"))]
#[doc = include_str!("../docs/bridges.md")]
pub struct Bridges;

/// docs/instrument.md
#[cfg(all(doctest, feature = "tracing", feature = "tokio"))]
#[doc = include_str!("../docs/instrument.md")]
pub struct Instrument;
