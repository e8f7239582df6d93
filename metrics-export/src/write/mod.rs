//! The writing half: code that records into families. The tower layer
//! for HTTP server metrics ([`layer`], feature `axum`), the process and
//! build-info collectors, the `metrics` facade recorder (feature
//! `metrics-recorder`) and the tokio runtime collector (feature
//! `tokio`).
//!
//! Nothing here encodes or serves: these are users of tally-core's
//! families like any service, kept beside the exporters because they
//! ship in the same crate.

pub(crate) mod build_info;
#[cfg(feature = "axum")]
pub(crate) mod layer;
pub(crate) mod process;
#[cfg(feature = "metrics-recorder")]
pub(crate) mod recorder;
#[cfg(feature = "tokio")]
pub(crate) mod tokio_runtime;
