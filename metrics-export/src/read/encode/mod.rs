//! Encoders of [`RegistrySnapshot`]s: Prometheus text 0.0.4, OpenMetrics
//! 1.0, delimited Prometheus protobuf with native histograms, and JSON.
//!
//! The HTTP handler negotiates a [`Format`] from the `Accept` header
//! ([`Format::negotiate`]) and calls [`encode`] (or [`encode_with`] to
//! set [`EncodeOptions`]). Every encoder appends to a caller-owned
//! `Vec<u8>`: a buffer kept between scrapes makes encoding free of
//! allocation per series.
//!
//! How HDR histogram families are exposed:
//! - text formats: classic histograms (`_bucket{le}`, `_sum`, `_count`,
//!   `+Inf` equal to `_count`) over the family's bounds or a default per
//!   unit ([`bucket_bounds`]); opt-in quantiles as a separate `summary`
//!   family ([`quantile_family_name`]), never instead of the buckets;
//! - protobuf: one `Histogram` message with the classic buckets *and*
//!   native buckets computed from the HDR cells ([`native_schema`],
//!   [`ZERO_THRESHOLD`]), so Prometheus scrapes native histograms;
//! - JSON: count, sum, min, max, mean, p50..p999 and the HDR V2
//!   serialization in base64, to merge exactly elsewhere; the live page's
//!   compact JSON ([`encode_page_json`]): count, sum, p50, p90, p99.
//!
//! Every encoder reads a family through its exposition plan
//! (`plan.rs`): `_total`, units, the help of derived families, label
//! strides and what a family without series shows are decided there
//! once; the encoders only write what it says. Series labels are decoded
//! by the plan's one odometer (`Ordinals`) and, where a format writes
//! bytes, copied from one table of values rendered once per family
//! (`label_table.rs`). [`EncodeOptions`] are in
//! `options.rs`. The protobuf messages are in [`proto`] (a module, as
//! their names mirror upstream's `Counter`, `Histogram`, ...); the OTLP
//! ones, for [`encode_otlp`], in [`otlp_proto`].

pub(crate) mod buckets;
mod escape;
mod exemplars;
mod format;
mod json;
mod label_table;
mod labels;
mod native;
mod number;
mod openmetrics;
mod options;
#[cfg(feature = "protobuf")]
mod otlp;
#[cfg(feature = "protobuf")]
pub mod otlp_proto;
mod page_json;
mod plan;
#[cfg(feature = "protobuf")]
pub mod proto;
mod protobuf;
#[cfg(feature = "protobuf")]
mod protobuf_prost;
mod quantiles;
mod text;
mod wire;

pub use buckets::{bucket_bounds, DEFAULT_SECONDS_BOUNDS};
pub use format::{
    Format, CONTENT_TYPE_JSON, CONTENT_TYPE_OPENMETRICS, CONTENT_TYPE_OPENMETRICS_0_0_1,
    CONTENT_TYPE_PROTOBUF, CONTENT_TYPE_TEXT, CONTENT_TYPE_TEXT_1_0_0,
};
pub use json::encode_json;
pub use native::{expand_native, native_schema, ZERO_THRESHOLD};
pub use openmetrics::encode_openmetrics;
pub use options::{process_start, EncodeOptions};
#[cfg(feature = "protobuf")]
pub use otlp::{
    encode_otlp, otlp_request, ucum_unit, OtlpHistograms, OtlpOptions, CONTENT_TYPE_OTLP,
};
pub use page_json::{encode_page_json, page_quantiles, PAGE_QUANTILES};
pub use protobuf::encode_protobuf;
#[cfg(feature = "protobuf")]
pub use protobuf_prost::encode_protobuf_prost;
pub use quantiles::{quantile_family_name, quantile_value};

use tally_core::{Registry, RegistrySnapshot};

/// Appends the encoding of `snapshot` in `format` to `out`, with the
/// default [`EncodeOptions`].
pub fn encode(format: Format, snapshot: &RegistrySnapshot, out: &mut Vec<u8>) {
    encode_with(format, snapshot, &EncodeOptions::default(), out)
}

/// Appends the encoding of `snapshot` in `format` to `out`, with `options`.
pub fn encode_with(
    format: Format,
    snapshot: &RegistrySnapshot,
    options: &EncodeOptions,
    out: &mut Vec<u8>,
) {
    match format {
        Format::PrometheusText => encode_prometheus_text(snapshot, out),
        Format::OpenMetrics => encode_openmetrics(snapshot, options, out),
        Format::Protobuf => encode_protobuf(snapshot, options, out),
        Format::Json => encode_json(snapshot, out),
    }
}

/// Appends `registry`'s families in `format` to `out`, with `options`,
/// reading and encoding one family at a time
/// ([`Registry::snapshot_each`]): the same bytes as [`encode_with`] of
/// [`Registry::snapshot`] (the families read one after another rather
/// than at one moment), without holding every family's series at once.
/// A scrape of a million series then stays in cache, and its memory is
/// the output and one family. The text formats are streamed so; protobuf
/// and JSON are encoded from a whole snapshot.
pub fn encode_registry(
    format: Format,
    registry: &Registry,
    options: &EncodeOptions,
    out: &mut Vec<u8>,
) {
    if !encode_text_streamed(format, registry, options, out, &mut |_| {}) {
        encode_with(format, &registry.snapshot(), options, out);
    }
}

/// Streams `registry` in a text `format` as [`encode_registry`] does,
/// handing each one-family snapshot to `observe` once it is written (the
/// HTTP handler's telemetry counts series from them); `false`, writing
/// nothing, for the formats that are encoded from a whole snapshot.
pub(crate) fn encode_text_streamed(
    format: Format,
    registry: &Registry,
    options: &EncodeOptions,
    out: &mut Vec<u8>,
    observe: &mut dyn FnMut(&RegistrySnapshot),
) -> bool {
    match format {
        Format::PrometheusText => {
            text::encode_text_each(registry, text::Dialect::Prometheus, out, observe)
        }
        Format::OpenMetrics => {
            let dialect = text::Dialect::OpenMetrics {
                created: options.created,
            };
            text::encode_text_each(registry, dialect, out, observe);
            out.extend_from_slice(b"# EOF\n");
        }
        Format::Protobuf | Format::Json => return false,
    }
    true
}

/// Appends `snapshot` as Prometheus text 0.0.4.
pub fn encode_prometheus_text(snapshot: &RegistrySnapshot, out: &mut Vec<u8>) {
    text::encode_text(snapshot, text::Dialect::Prometheus, out)
}
