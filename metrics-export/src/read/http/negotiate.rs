//! Content negotiation: the [`Format`] and content type to answer a
//! `/metrics` request with, from its `Accept` header (Prometheus 2 and
//! 3, vmagent, the OpenTelemetry Collector, curl and browsers). Plain
//! string work with no HTTP library, so it is compiled without the
//! `http` feature too, for a user serving the encoders through their own
//! server.

use crate::read::encode::{
    Format, CONTENT_TYPE_JSON, CONTENT_TYPE_OPENMETRICS, CONTENT_TYPE_OPENMETRICS_0_0_1,
    CONTENT_TYPE_PROTOBUF, CONTENT_TYPE_TEXT, CONTENT_TYPE_TEXT_1_0_0,
};

/// The outcome of content negotiation: the format to encode and the
/// exact `Content-Type` to answer with (never empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The encoder to run.
    pub format: Format,
    /// The `Content-Type` header value, with `version` (and `escaping`
    /// for the 1.0.0 text formats).
    pub content_type: &'static str,
}

impl Format {
    /// This format with its default content type.
    pub fn negotiated(self) -> Negotiated {
        Negotiated {
            format: self,
            content_type: self.content_type(),
        }
    }

    /// The format to answer a `/metrics` request with, from its `Accept`
    /// header (None = header absent); see [`negotiate_accept`](Self::negotiate_accept).
    pub fn negotiate(accept: Option<&str>) -> Format {
        Self::negotiate_accept(accept).format
    }

    /// The format and content type to answer a `/metrics` request with,
    /// from its `Accept` header (None = header absent).
    ///
    /// Each media range of the header is matched against what is served
    /// here: Prometheus text 0.0.4 and 1.0.0, OpenMetrics 1.0.0 and
    /// 0.0.1, delimited protobuf and JSON (`q=0` ranges, unknown versions
    /// and other protobuf messages are ignored). The highest `q` wins, an
    /// exact type beats a wildcard at equal `q`, and the earlier range
    /// wins remaining ties. A missing header, or one naming nothing served
    /// here, gets Prometheus text 0.0.4, which every scraper understands.
    ///
    /// ```
    /// use tally_export::{Format, CONTENT_TYPE_OPENMETRICS};
    /// // Prometheus 3.x, default scrape protocols.
    /// let accept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,\
    ///     application/openmetrics-text;version=0.0.1;q=0.4,\
    ///     text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,\
    ///     text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
    /// let answer = Format::negotiate_accept(Some(accept));
    /// assert_eq!(answer.format, Format::OpenMetrics);
    /// assert_eq!(answer.content_type, CONTENT_TYPE_OPENMETRICS);
    /// ```
    pub fn negotiate_accept(accept: Option<&str>) -> Negotiated {
        let fallback = Format::PrometheusText.negotiated();
        let Some(accept) = accept else {
            return fallback;
        };
        // (q in thousandths, specificity, answer)
        let mut best: Option<(u16, u8, Negotiated)> = None;
        for range in accept.split(',') {
            let Some((answer, specificity, q)) = match_range(range) else {
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
                best = Some((q, specificity, answer));
            }
        }
        best.map_or(fallback, |(_, _, answer)| answer)
    }
}

/// What a media range selects, how specific the match is (2 exact,
/// 1 `type/*`, 0 `*/*`) and its quality in thousandths.
fn match_range(range: &str) -> Option<(Negotiated, u8, u16)> {
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
    let answer = |format, content_type| Negotiated {
        format,
        content_type,
    };
    let (negotiated, specificity) = if eq(ty, "*") && eq(sub, "*") {
        (answer(Format::PrometheusText, CONTENT_TYPE_TEXT), 0)
    } else if eq(ty, "text") && eq(sub, "*") {
        (answer(Format::PrometheusText, CONTENT_TYPE_TEXT), 1)
    } else if eq(ty, "text") && eq(sub, "plain") {
        let content_type = match version {
            None | Some("0.0.4") => CONTENT_TYPE_TEXT,
            Some("1.0.0") => CONTENT_TYPE_TEXT_1_0_0,
            Some(_) => return None,
        };
        (answer(Format::PrometheusText, content_type), 2)
    } else if eq(ty, "application") && eq(sub, "openmetrics-text") {
        let content_type = match version {
            None | Some("1.0.0") => CONTENT_TYPE_OPENMETRICS,
            Some("0.0.1") => CONTENT_TYPE_OPENMETRICS_0_0_1,
            Some(_) => return None,
        };
        (answer(Format::OpenMetrics, content_type), 2)
    } else if eq(ty, "application") && eq(sub, "vnd.google.protobuf") {
        if !matches!(proto, None | Some("io.prometheus.client.MetricFamily"))
            || !matches!(encoding, None | Some("delimited"))
        {
            return None;
        }
        (answer(Format::Protobuf, CONTENT_TYPE_PROTOBUF), 2)
    } else if eq(ty, "application") && eq(sub, "json") {
        (answer(Format::Json, CONTENT_TYPE_JSON), 2)
    } else {
        return None;
    };
    Some((negotiated, specificity, q))
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
    use super::*;

    /// Prometheus 2.42 defaults (captured from the real server,
    /// tests/prometheus_server.rs); the OpenTelemetry Collector's
    /// prometheus receiver sent the same string (captured in
    /// opentelemetry-collector-contrib issue 21910).
    const PROMETHEUS_2: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    /// Prometheus 2.42 with `--enable-feature=native-histograms` (captured).
    const PROMETHEUS_2_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    /// Prometheus 3.x releases, default scrape protocols (UTF-8 names).
    const PROMETHEUS_3: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
    /// Prometheus 3.x, protobuf first (native histograms), from
    /// `TestAcceptHeader` in prometheus/prometheus scrape/scrape_test.go.
    const PROMETHEUS_3_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
    /// Prometheus main, default protocols with
    /// `metric_name_escaping_scheme: underscores` (same test).
    const PROMETHEUS_3_UNDERSCORES: &str = "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
    /// VictoriaMetrics vmagent (lib/promscrape/client.go).
    const VMAGENT: &str = "text/plain;version=0.0.4;q=1,*/*;q=0.1";

    fn answer(accept: Option<&str>) -> (Format, &'static str) {
        let n = Format::negotiate_accept(accept);
        assert_eq!(n.format, Format::negotiate(accept));
        (n.format, n.content_type)
    }

    #[test]
    fn absent_or_unknown_is_text_0_0_4() {
        for accept in [
            None,
            Some(""),
            Some("image/png"),
            Some("*/*"),
            Some("garbage;;;,,"),
            Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        ] {
            assert_eq!(
                answer(accept),
                (PrometheusText, CONTENT_TYPE_TEXT),
                "{accept:?}"
            );
        }
    }

    #[test]
    fn prometheus_2() {
        assert_eq!(
            answer(Some(PROMETHEUS_2)),
            (OpenMetrics, CONTENT_TYPE_OPENMETRICS)
        );
        assert_eq!(
            answer(Some(PROMETHEUS_2_NATIVE)),
            (Protobuf, CONTENT_TYPE_PROTOBUF)
        );
        // The older client_golang-style protobuf preference.
        let older = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
        assert_eq!(Format::negotiate(Some(older)), Protobuf);
    }

    #[test]
    fn prometheus_3() {
        for accept in [PROMETHEUS_3, PROMETHEUS_3_UNDERSCORES] {
            let (format, content_type) = answer(Some(accept));
            assert_eq!(format, OpenMetrics);
            assert_eq!(
                content_type,
                "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"
            );
        }
        assert_eq!(
            answer(Some(PROMETHEUS_3_NATIVE)),
            (Protobuf, CONTENT_TYPE_PROTOBUF)
        );
        // `scrape_protocols: [PrometheusText1.0.0]` and
        // `[OpenMetricsText0.0.1]`, as scrape.go's acceptHeader builds them.
        assert_eq!(
            answer(Some(
                "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,*/*;q=0.5"
            )),
            (
                PrometheusText,
                "text/plain; version=1.0.0; charset=utf-8; escaping=underscores"
            )
        );
        assert_eq!(
            answer(Some(
                "application/openmetrics-text;version=0.0.1;q=0.6,*/*;q=0.5"
            )),
            (
                OpenMetrics,
                "application/openmetrics-text; version=0.0.1; charset=utf-8"
            )
        );
        assert_eq!(
            answer(Some("text/plain;version=0.0.4;q=0.6,*/*;q=0.5")),
            (PrometheusText, CONTENT_TYPE_TEXT)
        );
    }

    #[test]
    fn vmagent_and_otel_collector() {
        assert_eq!(answer(Some(VMAGENT)), (PrometheusText, CONTENT_TYPE_TEXT));
        // The Collector's receiver embeds Prometheus' scraper: 2.x string.
        assert_eq!(answer(Some(PROMETHEUS_2)).0, OpenMetrics);
    }

    #[test]
    fn every_answer_names_its_version() {
        for content_type in [
            CONTENT_TYPE_TEXT,
            CONTENT_TYPE_TEXT_1_0_0,
            CONTENT_TYPE_OPENMETRICS,
            CONTENT_TYPE_OPENMETRICS_0_0_1,
        ] {
            assert!(content_type.contains("; version="), "{content_type}");
            let v1 = content_type.contains("version=1.0.0");
            assert_eq!(v1, content_type.ends_with("; escaping=underscores"));
        }
        for format in [PrometheusText, OpenMetrics, Protobuf, Json] {
            assert!(!format.content_type().is_empty());
            assert_eq!(format.negotiated().format, format);
        }
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
            answer(Some("text/plain; version=9.9.9, application/json;q=0.1")),
            (Json, CONTENT_TYPE_JSON)
        );
        assert_eq!(
            Format::negotiate(Some("application/vnd.google.protobuf;proto=other.Msg")),
            PrometheusText
        );
        assert_eq!(Format::negotiate(Some("text/plain;q=abc")), PrometheusText);
    }
}
