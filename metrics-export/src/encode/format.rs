//! The exposition formats, their content types, and content negotiation
//! from a request's `Accept` header.

/// An exposition format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text exposition format 0.0.4.
    PrometheusText,
    /// OpenMetrics 1.0 text.
    OpenMetrics,
    /// Prometheus protobuf (`io.prometheus.client.MetricFamily`, length
    /// delimited), with native histograms.
    Protobuf,
    /// JSON in the style of Go's `/debug/vars`.
    Json,
}

/// Content type of Prometheus text 0.0.4.
pub const CONTENT_TYPE_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Content type of OpenMetrics 1.0 text.
pub const CONTENT_TYPE_OPENMETRICS: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// Content type of delimited Prometheus protobuf.
pub const CONTENT_TYPE_PROTOBUF: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
/// Content type of the JSON format.
pub const CONTENT_TYPE_JSON: &str = "application/json";

impl Format {
    /// The Content-Type header value of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::PrometheusText => CONTENT_TYPE_TEXT,
            Format::OpenMetrics => CONTENT_TYPE_OPENMETRICS,
            Format::Protobuf => CONTENT_TYPE_PROTOBUF,
            Format::Json => CONTENT_TYPE_JSON,
        }
    }

    /// The format to answer a `/metrics` request with, from its `Accept`
    /// header (None = header absent).
    ///
    /// Each media range of the header is matched against the formats
    /// (`q=0` ranges and formats of unknown versions or protobuf messages
    /// are ignored); the highest `q` wins, an exact type beats a wildcard
    /// at equal `q`, and the earlier range wins remaining ties. A missing
    /// header, or one naming nothing served here, gets Prometheus text,
    /// which every scraper understands.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::PrometheusText;
        };
        // (q in thousandths, specificity, format)
        let mut best: Option<(u16, u8, Format)> = None;
        for range in accept.split(',') {
            let Some((format, specificity, q)) = match_range(range) else {
                continue;
            };
            if q == 0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((bq, bs, _)) => q > bq || (q == bq && specificity > bs),
            };
            if better {
                best = Some((q, specificity, format));
            }
        }
        best.map_or(Format::PrometheusText, |(_, _, f)| f)
    }
}

/// The format a media range selects, how specific the match is (2 exact,
/// 1 `type/*`, 0 `*/*`) and its quality in thousandths.
fn match_range(range: &str) -> Option<(Format, u8, u16)> {
    let mut parts = range.split(';');
    let media = parts.next()?.trim();
    let (ty, sub) = media.split_once('/')?;
    let (ty, sub) = (ty.trim(), sub.trim());
    let mut q = 1000u16;
    let mut version: Option<&str> = None;
    let mut proto: Option<&str> = None;
    let mut encoding: Option<&str> = None;
    for param in parts {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"');
        match key.trim().to_ascii_lowercase().as_str() {
            "q" => q = parse_q(value)?,
            "version" => version = Some(value),
            "proto" => proto = Some(value),
            "encoding" => encoding = Some(value),
            _ => {}
        }
    }
    let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let format = if eq(ty, "*") && eq(sub, "*") {
        return Some((Format::PrometheusText, 0, q));
    } else if eq(ty, "text") && (eq(sub, "*") || eq(sub, "plain")) {
        // Any text/plain version: 0.0.4 is what every version reads.
        let specificity = if eq(sub, "*") { 1 } else { 2 };
        return Some((Format::PrometheusText, specificity, q));
    } else if eq(ty, "application") && eq(sub, "openmetrics-text") {
        if !matches!(version, None | Some("1.0.0") | Some("0.0.1")) {
            return None;
        }
        Format::OpenMetrics
    } else if eq(ty, "application") && eq(sub, "vnd.google.protobuf") {
        if !matches!(proto, None | Some("io.prometheus.client.MetricFamily"))
            || !matches!(encoding, None | Some("delimited"))
        {
            return None;
        }
        Format::Protobuf
    } else if eq(ty, "application") && eq(sub, "json") {
        Format::Json
    } else {
        return None;
    };
    Some((format, 2, q))
}

/// A `q` parameter (`0` to `1`, up to three decimals) in thousandths;
/// `None` when malformed (the range is then ignored).
fn parse_q(value: &str) -> Option<u16> {
    let q: f64 = value.parse().ok()?;
    (0.0..=1.0)
        .contains(&q)
        .then(|| (q * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests {
    use super::Format::{self, *};

    #[test]
    fn absent_or_unknown_is_text() {
        assert_eq!(Format::negotiate(None), PrometheusText);
        assert_eq!(Format::negotiate(Some("")), PrometheusText);
        assert_eq!(Format::negotiate(Some("image/png")), PrometheusText);
        assert_eq!(Format::negotiate(Some("*/*")), PrometheusText);
    }

    #[test]
    fn prometheus_scrapers() {
        // Prometheus 2.42 with --enable-feature=native-histograms, as
        // captured from the real server (tests/prometheus_server.rs).
        let proto = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(proto)), Protobuf);
        // The older client_golang-style protobuf preference.
        let older = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
        assert_eq!(Format::negotiate(Some(older)), Protobuf);
        // Prometheus 2.x default.
        let om = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(om)), OpenMetrics);
        assert_eq!(Format::negotiate(Some("text/plain")), PrometheusText);
        assert_eq!(Format::negotiate(Some("application/json")), Json);
    }

    #[test]
    fn quality_and_specificity() {
        assert_eq!(
            Format::negotiate(Some("text/plain;q=0.5, application/json")),
            Json
        );
        assert_eq!(
            Format::negotiate(Some("*/*, application/openmetrics-text")),
            OpenMetrics
        );
        assert_eq!(
            Format::negotiate(Some("application/json;q=0, text/plain;q=0.1")),
            PrometheusText
        );
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text; version=2.0.0")),
            PrometheusText
        );
        assert_eq!(
            Format::negotiate(Some("application/vnd.google.protobuf;proto=other.Msg")),
            PrometheusText
        );
    }

    #[test]
    fn content_types() {
        assert_eq!(
            PrometheusText.content_type(),
            "text/plain; version=0.0.4; charset=utf-8"
        );
        assert!(OpenMetrics
            .content_type()
            .starts_with("application/openmetrics-text"));
        assert!(Protobuf.content_type().contains("encoding=delimited"));
        assert_eq!(Json.content_type(), "application/json");
    }
}
