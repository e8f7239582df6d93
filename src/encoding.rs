//! Turning a [`RegistrySnapshot`](crate::snapshot::RegistrySnapshot) into
//! bytes: Prometheus text, OpenMetrics, Prometheus protobuf (with native
//! histograms), JSON, the live page's JSON and OTLP.
//!
//! The HTTP handler ([`crate::http`]) negotiates a [`Format`] from the
//! scraper's `Accept` header and calls these; use them directly to write
//! a snapshot to a file, a log or your own transport.
//!
//! ```
//! let registry = tally::Registry::new();
//! let mut out = Vec::new();
//! tally::encoding::encode(tally::encoding::Format::PrometheusText, &registry.snapshot(), &mut out);
//! assert!(out.is_empty()); // nothing registered yet
//! ```

pub use tally_export::{
    bucket_bounds, encode, encode_json, encode_openmetrics, encode_otlp, encode_page_json,
    encode_prometheus_text, encode_protobuf, encode_registry, encode_with, otlp_request,
    EncodeOptions, Format, Negotiated, OtlpHistograms, OtlpOptions, CONTENT_TYPE_JSON,
    CONTENT_TYPE_OPENMETRICS, CONTENT_TYPE_OPENMETRICS_0_0_1, CONTENT_TYPE_OTLP,
    CONTENT_TYPE_PROTOBUF, CONTENT_TYPE_TEXT, CONTENT_TYPE_TEXT_1_0_0, DEFAULT_SECONDS_BOUNDS,
};
