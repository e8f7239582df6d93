//! tally's exporters: encoders for a [`metrics_core::RegistrySnapshot`]
//! (Prometheus text, OpenMetrics, protobuf with native histograms, JSON)
//! and the ready HTTP handler that serves them; with the `push` feature,
//! a push client for a Pushgateway, VictoriaMetrics or an OTLP receiver.
//!
//! Exporters read snapshots only; they never touch metric cells.

mod encode;
mod http;
#[cfg(feature = "push")]
mod push;

pub use encode::*;
pub use http::*;
#[cfg(feature = "push")]
pub use push::*;
