//! tally's exporters: encoders for a [`tally_core::RegistrySnapshot`]
//! (Prometheus text, OpenMetrics, protobuf with native histograms, JSON)
//! and the ready HTTP handler that serves them; with the `push` feature,
//! a push client for a Pushgateway, VictoriaMetrics or an OTLP receiver.
//!
//! Exporters read snapshots only; they never touch metric cells.

mod build_info;
pub mod dashboard;
mod encode;
mod http;
mod process;
#[cfg(feature = "prometheus-client")]
mod prometheus_client_bridge;
#[cfg(feature = "push")]
mod push;
#[cfg(feature = "metrics-recorder")]
mod recorder;
pub mod rules;
#[cfg(feature = "tokio")]
mod tokio_runtime;

#[doc(hidden)]
pub use build_info::__private;
pub use build_info::RUSTC_VERSION;
/// The prost-built reference encoder the protobuf tests compare the
/// production encoder with, byte for byte. Not for production use.
#[doc(hidden)]
pub use encode::encode_protobuf_prost;
pub use encode::{
    bucket_bounds, encode, encode_json, encode_openmetrics, encode_otlp, encode_page_json,
    encode_prometheus_text, encode_protobuf, encode_with, expand_native, native_schema, otlp_proto,
    otlp_request, page_quantiles, process_start, proto, quantile_family_name, quantile_value,
    ucum_unit, EncodeOptions, Format, Negotiated, OtlpHistograms, OtlpOptions, CONTENT_TYPE_JSON,
    CONTENT_TYPE_OPENMETRICS, CONTENT_TYPE_OPENMETRICS_0_0_1, CONTENT_TYPE_OTLP,
    CONTENT_TYPE_PROTOBUF, CONTENT_TYPE_TEXT, CONTENT_TYPE_TEXT_1_0_0, DEFAULT_SECONDS_BOUNDS,
    PAGE_QUANTILES, ZERO_THRESHOLD,
};
#[cfg(feature = "axum")]
pub use http::{
    axum_router, serve_axum, CountedBody, HttpMetricsError, HttpMetricsLayer, HttpMetricsService,
    ReadBody, ResponseFuture, Route, UNMATCHED_ROUTE,
};
pub use http::{
    serve, serve_default, AllowedHostError, Auth, Handler, HandlerConfig, PagePathError,
    RegistrySource, ServeError, ServeOptions, Server, ServerBuilder, ServerHandle, DEBUG_VARS_PATH,
    DEFAULT_ADDR, DEFAULT_MAX_HELD_RESPONSE_BYTES, HEALTH_PATH, INDEX_PATH, MAX_TIMEOUT,
    METRICS_PATH, OVERFLOW_CONNECTIONS, PAGE_JSON_PATH, PAGE_PATH,
};
pub use process::{process_start_time, register_process_metrics, ProcessCollector};
#[cfg(feature = "prometheus-client")]
pub use prometheus_client_bridge::TallyCollector;
#[cfg(feature = "push")]
pub use push::{
    Otlp, PartialSuccess, PushConfigError, PushError, PushFormat, PushHandle, PushMethod,
    PushReport, Pusher, PusherBuilder, Pushgateway, RemoteWrite, Target, VictoriaMetrics,
};
#[cfg(feature = "metrics-recorder")]
pub use recorder::{
    DroppedReason, RecorderError, TallyRecorder, DEFAULT_MAX_NAMES, DEFAULT_MAX_REFUSED,
    DEFAULT_MAX_SERIES,
};
#[cfg(feature = "tokio")]
pub use tokio_runtime::{register_tokio_metrics, TokioCollector};
