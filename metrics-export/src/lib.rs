//! tally's exporters: encoders for a [`metrics_core::RegistrySnapshot`]
//! (Prometheus text, OpenMetrics, protobuf with native histograms, JSON)
//! and the ready HTTP handler that serves them; with the `push` feature,
//! a push client for a Pushgateway, VictoriaMetrics or an OTLP receiver.
//!
//! Exporters read snapshots only; they never touch metric cells.

mod build_info;
mod encode;
mod http;
mod process;
#[cfg(feature = "prometheus-client")]
mod prometheus_client_bridge;
#[cfg(feature = "push")]
mod push;
#[cfg(feature = "metrics-recorder")]
mod recorder;

#[doc(hidden)]
pub use build_info::__private;
pub use build_info::RUSTC_VERSION;
pub use encode::*;
pub use http::*;
pub use process::{process_start_time, register_process_metrics, ProcessCollector};
#[cfg(feature = "prometheus-client")]
pub use prometheus_client_bridge::TallyCollector;
#[cfg(feature = "push")]
pub use push::*;
#[cfg(feature = "metrics-recorder")]
pub use recorder::{DroppedReason, RecorderError, TallyRecorder, DEFAULT_MAX_SERIES};
