//! Declarative, compile-time bounded, per-thread sharded metrics for Rust
//! services.
//!
//! Describe a service's stats as a plain struct; each field becomes a
//! metric family. Labels are fieldless enums, so the compiler bounds
//! every family's series count; counters, gauges and HDR histograms
//! record into cache-padded per-thread shards with no lock, allocation or
//! hashing; one call serves the registry to Prometheus (text, OpenMetrics,
//! protobuf with native histograms), as JSON and as a live page.
//!
//! ```no_run
//! use std::time::Instant;
//! use tally::{Counter, Gauge, Histogram, LabelValue, Metrics};
//!
//! #[derive(LabelValue, Clone, Copy)]
//! enum Outcome {
//!     Hit,
//!     Miss,
//! }
//!
//! #[derive(Metrics)]
//! #[metrics(prefix = "cache")]
//! struct CacheStats {
//!     /// Cache lookups, by outcome.
//!     lookups: Counter<Outcome>, // cache_lookups_total{outcome="hit"|"miss"}
//!     /// Time to look a key up.
//!     #[metric(unit = "seconds")]
//!     latency: Histogram, // cache_latency_seconds, HDR
//!     /// Entries held.
//!     entries: Gauge, // cache_entries
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let stats = CacheStats::global(); // registered in Registry::global()
//!     let start = Instant::now();
//!     stats.lookups.with(Outcome::Miss).inc();
//!     stats.entries.set(1);
//!     stats.latency.record_duration(start.elapsed());
//!
//!     // /metrics, /debug/vars, /-/metrics (live page), /-/healthy
//!     # #[cfg(feature = "serve")] {
//!     let server = tally::serve("127.0.0.1:9464")?;
//!     println!("curl http://{}/metrics", server.local_addr());
//!     # }
//!     loop {
//!         std::thread::park(); // serve until killed
//!     }
//! }
//! ```
//!
//! A derived struct gets `new()`, `register(&Registry)` (all its
//! families or none), `global()` (registered into [`Registry::global`]
//! on first use; never panics) and `try_global()`. The attributes, with
//! every compile error they can give, are documented on [`Metrics`],
//! [`LabelValue`] and [`LabelSet`].
//!
//! # What is where
//!
//! The root holds what a service author types: the derives, the family
//! types, [`Registry`], [`serve`] and the label macros. The rest sits in
//! a module per job:
//!
//! | module | for |
//! |---|---|
//! | [`family`] | the families' handles (`CounterRef`, ...), exemplars, clocks and configuration errors |
//! | [`registry`] | extending a registry by hand: [`registry::Collector`], [`registry::Metric`], descriptors and the naming rules |
//! | [`snapshot`] | reading a registry's values: [`snapshot::RegistrySnapshot`] and what it holds |
//! | [`encoding`] | turning a snapshot into Prometheus text, OpenMetrics, protobuf, JSON or OTLP bytes |
//! | [`http`] | the handler, the standalone server, axum integration and the tower layer for HTTP server metrics |
//! | [`push`] | pushing to a Pushgateway, VictoriaMetrics or an OTLP receiver |
//! | [`collectors`] | process, build-info and tokio runtime metrics |
//! | [`instrumented`] | functions instrumented with [`instrument`]: their objectives, registering their families |
//! | [`rules`], [`dashboard`] | SLO alerting rules and a Grafana dashboard, generated from a registry |
//! | [`bridge`] | the `metrics` facade and prometheus-client, into and out of a tally registry |
//! | [`testing`] | reading values back in tests, by name and labels |
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `serve` | yes | [`encoding`], [`serve`], [`http`], [`collectors`], [`testing`] (hyper, tokio, flate2, prost) |
//! | `axum` | yes | [`axum_router`], [`HttpMetricsLayer`], [`http::serve_axum`] (axum, tower) |
//! | `push` | no | [`push`]: Pushgateway, VictoriaMetrics, OTLP/HTTP, Prometheus remote write |
//! | `push-tls` | no | push over `https://` (rustls; the platform's roots or a given CA) |
//! | `zstd` | no | zstd-compressed scrapes, offered beside gzip |
//! | `metrics-recorder` | no | [`bridge::TallyRecorder`]: the `metrics` 0.24 facade into a tally registry |
//! | `prometheus-client` | no | [`bridge::TallyCollector`]: a tally registry inside a prometheus-client one |
//! | `tracing` | no | exemplars from the current `tracing` span (`TracedCounter`, `TracedHistogram`, instrumented functions) |
//! | `opentelemetry` | no | those exemplars carry OpenTelemetry trace and span ids (`tracing-opentelemetry`) |
//! | `tokio` | no | [`collectors::register_tokio_metrics`]: tokio's runtime metrics, read at scrape time |
//!
//! Without default features, tally is the derives and the core (families,
//! registry, snapshots): what a library that records into its caller's
//! registry needs, with no HTTP or async stack.

#![forbid(unsafe_code)]
// The docs link to feature-gated items; they resolve when every feature is
// on (docs.rs, and CI's all-features doc build checks them). With fewer
// features a gated target is absent, which is not an error of the docs.
#![cfg_attr(
    not(all(
        feature = "axum",
        feature = "push",
        feature = "metrics-recorder",
        feature = "prometheus-client",
        feature = "tracing",
        feature = "tokio"
    )),
    allow(rustdoc::broken_intra_doc_links)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The derives name `::tally::__private`; inside this crate's own doc
// tests and examples that is this crate.
extern crate self as tally;

/// Instrumented functions (`#[tally::instrument]`): their objectives, and
/// registering their families into a registry of your own.
pub use tally_core::instrument as instrumented;
pub use tally_core::{
    dynamic_label, Computed, Counter, DynamicLabel, DynamicLabelError, FloatCounter, FloatGauge,
    Gauge, Histogram, HistogramConfig, Info, LabelSet, LabelValue, MaxGauge, MinGauge, Registry,
    RegistryBuilder, RegistryError, Unit, Window, WindowedCounter, WindowedHistogram,
};
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub use tally_core::{TracedCounter, TracedHistogram};
pub use tally_derive::{instrument, LabelSet, LabelValue, Metrics};
/// A Grafana dashboard generated from a registry's families.
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub use tally_export::dashboard;
/// SLO recording and alerting rules generated from a registry's
/// objectives (Prometheus rule files).
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub use tally_export::rules;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use tally_export::{axum_router, HttpMetricsLayer};
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub use tally_export::{serve, ServeError};

#[cfg(any(feature = "metrics-recorder", feature = "prometheus-client"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "metrics-recorder", feature = "prometheus-client")))
)]
pub mod bridge;
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub mod collectors;
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub mod encoding;
pub mod family;
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub mod http;
#[cfg(feature = "push")]
#[cfg_attr(docsrs, doc(cfg(feature = "push")))]
pub mod push;
pub mod registry;
pub mod snapshot;
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub mod testing;

mod derive_support;
mod docs;

/// Paths the derive macros' generated code uses. Not a public API: it may
/// change in any release.
#[doc(hidden)]
pub mod __private {
    pub use std::eprintln;
    pub use std::sync::{Arc, OnceLock};
    pub use tally_core;
    pub use tally_core::{
        Collector, Desc, HistogramConfig, LabelDesc, LabelSet, LabelValue, Metric, Registry,
        RegistryError, Unit, Window,
    };

    pub use crate::derive_support::{check_family, check_success_family, register, Global};
    pub use tally_core::instrument::__private as instrument;
}
