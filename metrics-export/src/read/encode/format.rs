//! The exposition formats and their content types. Choosing one from a
//! request's `Accept` header is HTTP's business: `read/http/negotiate.rs`.
//!
//!
//! Escaping: the 1.0.0 text formats (`text/plain;version=1.0.0`,
//! `application/openmetrics-text;version=1.0.0`) carry an `escaping`
//! parameter saying how names outside the legacy character set were
//! written. tally's names are always legacy-valid (the registry refuses
//! anything else), so the underscore escape of every name is the name
//! itself: answers say `escaping=underscores`, whatever the scraper
//! offered. That claim is exact, needs no UTF-8 support from the scraper
//! (the spec reserves `allow-utf-8` for producers and consumers that both
//! support UTF-8 names) and asks it to unescape nothing.

/// An exposition format. As a label (`format`: `prometheus_text`,
/// `openmetrics`, `protobuf`, `json`) it is the format of
/// `tally_scrapes_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text exposition format (0.0.4; 1.0.0 when asked, the
    /// same bytes for legacy-valid names).
    PrometheusText,
    /// OpenMetrics 1.0 text (also served as 0.0.1 when asked).
    OpenMetrics,
    /// Prometheus protobuf (`io.prometheus.client.MetricFamily`, length
    /// delimited), with native histograms.
    Protobuf,
    /// JSON in the style of Go's `/debug/vars`.
    Json,
}

/// Written by hand, not derived, for one reason: `Format` is a public
/// type of the library, and `#[diagnostic::do_not_recommend]` keeps it out
/// of the "other types implement `LabelValue`" hint a user's unbounded
/// label gets (the derive cannot emit that attribute: it does not resolve
/// in `#![no_implicit_prelude]` crates).
#[diagnostic::do_not_recommend]
impl tally_core::LabelValue for Format {
    const NAME: &'static str = "format";
    const VALUES: &'static [&'static str] = &["prometheus_text", "openmetrics", "protobuf", "json"];

    fn ordinal(&self) -> usize {
        *self as usize
    }

    fn from_ordinal(ordinal: usize) -> Option<Self> {
        [
            Format::PrometheusText,
            Format::OpenMetrics,
            Format::Protobuf,
            Format::Json,
        ]
        .get(ordinal)
        .copied()
    }
}

/// Content type of Prometheus text 0.0.4.
pub const CONTENT_TYPE_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Content type of Prometheus text 1.0.0 (legacy-valid names, so
/// underscore escaping is the identity).
pub const CONTENT_TYPE_TEXT_1_0_0: &str =
    "text/plain; version=1.0.0; charset=utf-8; escaping=underscores";
/// Content type of OpenMetrics 1.0 text.
pub const CONTENT_TYPE_OPENMETRICS: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores";
/// Content type of OpenMetrics text when a scraper asks for version 0.0.1
/// only (the same bytes; 0.0.1 has no escaping parameter).
pub const CONTENT_TYPE_OPENMETRICS_0_0_1: &str =
    "application/openmetrics-text; version=0.0.1; charset=utf-8";
/// Content type of delimited Prometheus protobuf.
pub const CONTENT_TYPE_PROTOBUF: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
/// Content type of the JSON format.
pub const CONTENT_TYPE_JSON: &str = "application/json";

impl Format {
    /// The default Content-Type header value of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::PrometheusText => CONTENT_TYPE_TEXT,
            Format::OpenMetrics => CONTENT_TYPE_OPENMETRICS,
            Format::Protobuf => CONTENT_TYPE_PROTOBUF,
            Format::Json => CONTENT_TYPE_JSON,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_label_values_are_unchanged() {
        crate::label_check::assert_label::<Format>(
            "format",
            &["prometheus_text", "openmetrics", "protobuf", "json"],
        );
    }
}
