//! # tally
//!
//! Declarative, compile-time bounded, per-thread sharded metrics.
//!
//! Describe a service's stats as a plain struct of metric families whose
//! labels are fieldless enums; tally checks the labels and names at compile
//! time, stores each family densely in cache-padded per-thread shards, and
//! exposes the registry through ready exporters.
//!
//! The facade re-exports everything a service needs: the families and the
//! registry from `metrics-core`, the derives from `metrics-derive` and,
//! with the default feature `serve`, the exporters from `metrics-export`.
//! `default-features = false` leaves the derives and the core, for a
//! library crate that only records into its caller's registry.

#![forbid(unsafe_code)]

/// Instrumented functions (`#[tally::instrument]`): their objectives, and
/// registering their families into a registry of your own.
pub use tally_core::instrument as instrumented;
#[cfg(feature = "tracing")]
pub use tally_core::{current_span_id, TracedCounter, TracedHistogram};
pub use tally_core::{
    dynamic_label, exemplars_rejected, name, Bucket, Clock, CoarseClock, CollectError, Collected,
    Collector, Computed, Counter, CounterRef, Desc, Described, DynamicLabel, DynamicLabelError,
    Exemplar, FamilySnapshot, FloatCounter, FloatCounterRef, FloatGauge, FloatGaugeRef, Found,
    Gauge, GaugeRef, Histogram, HistogramConfig, HistogramConfigError, HistogramRef,
    HistogramSnapshot, Info, InfoError, LabelDesc, LabelSet, LabelValue, ManualClock, MaxGauge,
    MaxGaugeRef, Metric, MetricKind, MinGauge, MinGaugeRef, RecentClock, Registry, RegistryBuilder,
    RegistryError, RegistrySnapshot, Series, Unit, Value, Window, WindowError, WindowedCounter,
    WindowedCounterRef, WindowedHistogram, WindowedHistogramRef, DEFAULT_SUMMARY_QUANTILES,
    EXEMPLAR_LABELS_MAX,
};
pub use tally_derive::{instrument, LabelSet, LabelValue, Metrics};
#[cfg(feature = "prometheus-client")]
pub use tally_export::TallyCollector;
#[cfg(feature = "axum")]
pub use tally_export::{
    axum_router, serve_axum, CountedBody, HttpMetricsError, HttpMetricsLayer, HttpMetricsService,
    ResponseFuture, Route, ServeOptions, UNMATCHED_ROUTE,
};
#[cfg(feature = "serve")]
pub use tally_export::{
    bucket_bounds, encode, encode_json, encode_openmetrics, encode_otlp, encode_page_json,
    encode_prometheus_text, encode_protobuf, encode_with, expand_native, native_schema, otlp_proto,
    otlp_request, page_quantiles, process_start, process_start_time, proto, quantile_family_name,
    quantile_value, register_build_info, register_process_metrics, serve, serve_default, ucum_unit,
    Auth, EncodeOptions, Format, Handler, HandlerConfig, Negotiated, OtlpHistograms, OtlpOptions,
    PagePathError, ProcessCollector, RegistrySource, ServeError, Server, ServerBuilder,
    ServerHandle, CONTENT_TYPE_JSON, CONTENT_TYPE_OPENMETRICS, CONTENT_TYPE_OPENMETRICS_0_0_1,
    CONTENT_TYPE_OTLP, CONTENT_TYPE_PROTOBUF, CONTENT_TYPE_TEXT, CONTENT_TYPE_TEXT_1_0_0,
    DEBUG_VARS_PATH, DEFAULT_ADDR, DEFAULT_MAX_HELD_RESPONSE_BYTES, DEFAULT_SECONDS_BOUNDS,
    HEALTH_PATH, INDEX_PATH, MAX_TIMEOUT, METRICS_PATH, OVERFLOW_CONNECTIONS, PAGE_JSON_PATH,
    PAGE_PATH, PAGE_QUANTILES, RUSTC_VERSION, ZERO_THRESHOLD,
};
/// SLO rules and Grafana dashboards generated from a registry.
#[cfg(feature = "serve")]
pub use tally_export::{dashboard, rules};
#[cfg(feature = "tokio")]
pub use tally_export::{register_tokio_metrics, TokioCollector};
#[cfg(feature = "metrics-recorder")]
pub use tally_export::{DroppedReason, RecorderError, TallyRecorder, DEFAULT_MAX_SERIES};
#[cfg(feature = "push")]
pub use tally_export::{
    Otlp, PartialSuccess, PushConfigError, PushError, PushFormat, PushHandle, PushMethod,
    PushReport, Pusher, PusherBuilder, Pushgateway, Target, VictoriaMetrics,
};

mod derive_support;
/// docs/instrument.md, whose snippets run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/instrument.md")]
mod instrument_guide {}
#[cfg(feature = "serve")]
pub mod testing;

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

    pub use crate::derive_support::{check_family, register, Global};
    pub use tally_core::instrument::__private as instrument;
}
