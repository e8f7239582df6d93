//! tally's exporters: encoders for a [`metrics_core::RegistrySnapshot`]
//! (Prometheus text, OpenMetrics, protobuf with native histograms, JSON)
//! and the ready HTTP handler that serves them.
//!
//! Exporters read snapshots only; they never touch metric cells.

mod build_info;
mod encode;
mod http;
mod process;

#[doc(hidden)]
pub use build_info::__private;
pub use build_info::RUSTC_VERSION;
pub use encode::*;
pub use http::*;
pub use process::{process_start_time, register_process_metrics, ProcessCollector};
