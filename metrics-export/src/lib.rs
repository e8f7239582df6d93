//! tally's exporters: encoders for a [`tally_core::RegistrySnapshot`]
//! (Prometheus text, OpenMetrics, protobuf with native histograms, JSON,
//! and with feature `protobuf` OTLP) and, with feature `http`, the ready
//! HTTP handler and servers that serve them; with the `push` feature,
//! a push client for a Pushgateway, VictoriaMetrics or an OTLP receiver.
//!
//! Exporters read snapshots only; they never touch metric cells.
//!
//! Features: `http` (handler, servers, live page, gzip: hyper, tokio,
//! flate2) and `protobuf` (prost: the OTLP encoder and the `proto`
//! messages) are on by default. Without them (`default-features =
//! false`) the crate is the encoders for text, OpenMetrics, protobuf
//! (hand-written) and JSON, content negotiation, the process and build
//! collectors, rules and dashboards. `axum`, `push`, `push-tls`, `zstd`,
//! `metrics-recorder`, `prometheus-client` and `tokio` add the rest.

// Docs link to items of the `http` and `protobuf` features; without
// them those links cannot resolve (the all-features doc build checks
// every link).
#![cfg_attr(
    not(all(feature = "http", feature = "protobuf")),
    allow(rustdoc::broken_intra_doc_links)
)]

// Two halves: `read` turns snapshots into bytes (encoders, HTTP, push,
// rules, dashboards); `write` records into families (tower layer,
// process/build/tokio collectors, the `metrics` recorder). See
// docs/ARCHITECTURE.md.
#[cfg(test)]
mod label_check;
mod read;
mod routes;
mod write;

pub use read::{dashboard, rules};

/// The prost-built reference encoder the protobuf tests compare the
/// production encoder with, byte for byte. Not for production use.
#[doc(hidden)]
#[cfg(feature = "protobuf")]
pub use read::encode::encode_protobuf_prost;
pub use read::encode::{
    bucket_bounds, encode, encode_json, encode_openmetrics, encode_page_json,
    encode_prometheus_text, encode_protobuf, encode_registry, encode_with, expand_native,
    native_schema, page_quantiles, process_start, quantile_family_name, quantile_value,
    EncodeOptions, Format, CONTENT_TYPE_JSON, CONTENT_TYPE_OPENMETRICS,
    CONTENT_TYPE_OPENMETRICS_0_0_1, CONTENT_TYPE_PROTOBUF, CONTENT_TYPE_TEXT,
    CONTENT_TYPE_TEXT_1_0_0, DEFAULT_SECONDS_BOUNDS, PAGE_QUANTILES, ZERO_THRESHOLD,
};
#[cfg(feature = "protobuf")]
pub use read::encode::{
    encode_otlp, otlp_proto, otlp_request, proto, ucum_unit, OtlpHistograms, OtlpOptions,
    CONTENT_TYPE_OTLP,
};
pub use read::http::Negotiated;
#[cfg(feature = "axum")]
pub use read::http::{axum_router, serve_axum};
#[cfg(feature = "http")]
pub use read::http::{
    serve, serve_default, AllowedHostError, Auth, Handler, HandlerConfig, PagePathError,
    RegistrySource, ServeError, ServeOptions, Server, ServerBuilder, ServerHandle, DEFAULT_ADDR,
    DEFAULT_MAX_HELD_RESPONSE_BYTES, MAX_TIMEOUT, OVERFLOW_CONNECTIONS,
};
#[cfg(feature = "prometheus-client")]
pub use read::prometheus_client_bridge::TallyCollector;
#[cfg(feature = "push")]
pub use read::push::{
    Otlp, PartialSuccess, PushConfigError, PushError, PushFormat, PushHandle, PushMethod,
    PushReport, Pusher, PusherBuilder, Pushgateway, RemoteWrite, Target, VictoriaMetrics,
};
pub use routes::{
    DEBUG_VARS_PATH, HEALTH_PATH, INDEX_PATH, METRICS_PATH, PAGE_JSON_PATH, PAGE_PATH,
};
#[doc(hidden)]
pub use write::build_info::__private;
pub use write::build_info::RUSTC_VERSION;
#[cfg(feature = "axum")]
pub use write::layer::{
    CountedBody, HttpMetricsError, HttpMetricsLayer, HttpMetricsService, ReadBody, ResponseFuture,
    Route, UNMATCHED_ROUTE,
};
pub use write::process::{process_start_time, register_process_metrics, ProcessCollector};
#[cfg(feature = "metrics-recorder")]
pub use write::recorder::{
    DroppedReason, ExpiredWhat, RecorderError, TallyRecorder, DEFAULT_MAX_NAMES,
    DEFAULT_MAX_REFUSED, DEFAULT_MAX_SERIES,
};
#[cfg(feature = "tokio")]
pub use write::tokio_runtime::{register_tokio_metrics, TokioCollector};
