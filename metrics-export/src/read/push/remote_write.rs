//! Prometheus remote write 1.0: a `prometheus.WriteRequest` (protobuf),
//! snappy-compressed (block format), `POST`ed with
//! `Content-Encoding: snappy` and `X-Prometheus-Remote-Write-Version:
//! 0.1.0`.
//!
//! The samples are exactly those of the Prometheus text exposition of the
//! same snapshot (counters as `_total`, classic histograms as
//! `_bucket{le}`/`_sum`/`_count`, quantile summaries, info families as
//! `_info`): the snapshot is encoded as text, then each sample line is
//! read back into a series, so a remote-write receiver stores what a
//! scrape would have. Every sample carries the push time; `# TYPE` and
//! `# HELP` go as metadata.

use std::collections::HashMap;

use super::grouping::valid_label_name;

/// `prometheus.WriteRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct WriteRequest {
    /// `timeseries = 1`.
    #[prost(message, repeated, tag = "1")]
    pub(crate) timeseries: Vec<TimeSeries>,
    /// `metadata = 3`.
    #[prost(message, repeated, tag = "3")]
    pub(crate) metadata: Vec<MetricMetadata>,
}

/// `prometheus.TimeSeries`: labels sorted by name, `__name__` included.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct TimeSeries {
    /// `labels = 1`.
    #[prost(message, repeated, tag = "1")]
    pub(crate) labels: Vec<Label>,
    /// `samples = 2`.
    #[prost(message, repeated, tag = "2")]
    pub(crate) samples: Vec<Sample>,
}

/// `prometheus.Label`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Label {
    /// `name = 1`.
    #[prost(string, tag = "1")]
    pub(crate) name: String,
    /// `value = 2`.
    #[prost(string, tag = "2")]
    pub(crate) value: String,
}

/// `prometheus.Sample`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Sample {
    /// `value = 1`.
    #[prost(double, tag = "1")]
    pub(crate) value: f64,
    /// `timestamp = 2`: milliseconds since the Unix epoch.
    #[prost(int64, tag = "2")]
    pub(crate) timestamp: i64,
}

/// `prometheus.MetricMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct MetricMetadata {
    /// `type = 1`: 0 unknown, 1 counter, 2 gauge, 3 histogram, 4
    /// gaugehistogram, 5 summary, 6 info, 7 stateset.
    #[prost(int32, tag = "1")]
    pub(crate) r#type: i32,
    /// `metric_family_name = 2`.
    #[prost(string, tag = "2")]
    pub(crate) metric_family_name: String,
    /// `help = 4`.
    #[prost(string, tag = "4")]
    pub(crate) help: String,
    /// `unit = 5`.
    #[prost(string, tag = "5")]
    pub(crate) unit: String,
}

/// The write request of a Prometheus text exposition `text`: one series
/// per sample line, each with `extra` labels added (they replace labels of
/// the same name) and the sample time `timestamp_ms`.
pub(crate) fn write_request(
    text: &str,
    extra: &[(String, String)],
    timestamp_ms: i64,
) -> WriteRequest {
    let mut request = WriteRequest::default();
    let mut help: HashMap<&str, String> = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            if let Some((name, text)) = rest.split_once(' ') {
                help.insert(name, unescape(text, false));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
            let r#type = match kind {
                "counter" => 1,
                "gauge" => 2,
                "histogram" => 3,
                "summary" => 5,
                _ => 0,
            };
            request.metadata.push(MetricMetadata {
                r#type,
                metric_family_name: name.to_owned(),
                help: help.remove(name).unwrap_or_default(),
                unit: String::new(),
            });
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(series) = sample(line, extra, timestamp_ms) {
            request.timeseries.push(series);
        }
    }
    request
}

/// One sample line (`name{a="x",b="y"} value`) as a series.
fn sample(line: &str, extra: &[(String, String)], timestamp_ms: i64) -> Option<TimeSeries> {
    let (name, rest) = match line.find(['{', ' ']) {
        Some(i) => line.split_at(i),
        None => return None,
    };
    let mut labels = vec![Label {
        name: "__name__".to_owned(),
        value: name.to_owned(),
    }];
    let mut rest = rest;
    if let Some(inner) = rest.strip_prefix('{') {
        rest = inner;
        loop {
            rest = rest.trim_start_matches(',');
            if let Some(after) = rest.strip_prefix('}') {
                rest = after;
                break;
            }
            let (label, after) = rest.split_once("=\"")?;
            // The value runs to the first unescaped quote.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in after.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end?;
            labels.push(Label {
                name: label.to_owned(),
                value: unescape(&after[..end], true),
            });
            rest = &after[end + 1..];
        }
    }
    let value = rest.split_whitespace().next()?;
    let value: f64 = value.parse().ok()?;
    for (name, value) in extra {
        labels.retain(|l| l.name != *name);
        labels.push(Label {
            name: name.clone(),
            value: value.clone(),
        });
    }
    labels.sort_by(|a, b| a.name.cmp(&b.name));
    Some(TimeSeries {
        labels,
        samples: vec![Sample {
            value,
            timestamp: timestamp_ms,
        }],
    })
}

/// Undoes the text format's escapes: `\\` and `\n`, and `\"` in label
/// values.
fn unescape(s: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('\\') => out.push('\\'),
            Some('"') if quotes => out.push('"'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Whether `name` may be an extra label of a remote write target (a valid
/// label name, not `__name__` or another reserved `__` name).
pub(crate) fn valid_extra_label(name: &str) -> bool {
    valid_label_name(name) && !name.starts_with("__")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(series: &TimeSeries) -> Vec<(&str, &str)> {
        series
            .labels
            .iter()
            .map(|l| (l.name.as_str(), l.value.as_str()))
            .collect()
    }

    #[test]
    fn sample_lines_become_sorted_series_with_metadata() {
        let text = "# HELP jobs_total Jobs \\\\ done.\n# TYPE jobs_total counter\n\
                    jobs_total{zone=\"eu \\\"west\\\" \\\\1\",Method=\"GET\",weird=\"a\\nb\"} 7\n\
                    # TYPE temp gauge\ntemp NaN\ntemp_max +Inf\n";
        let extra = [("job".to_owned(), "batch".to_owned())];
        let request = write_request(text, &extra, 1_700_000_000_123);
        assert_eq!(request.timeseries.len(), 3);
        assert_eq!(
            labels(&request.timeseries[0]),
            [
                ("Method", "GET"),
                ("__name__", "jobs_total"),
                ("job", "batch"),
                ("weird", "a\nb"),
                ("zone", "eu \"west\" \\1"),
            ]
        );
        assert_eq!(request.timeseries[0].samples[0].value, 7.0);
        assert_eq!(
            request.timeseries[0].samples[0].timestamp,
            1_700_000_000_123
        );
        assert!(request.timeseries[1].samples[0].value.is_nan());
        assert_eq!(request.timeseries[2].samples[0].value, f64::INFINITY);
        assert_eq!(request.metadata[0].metric_family_name, "jobs_total");
        assert_eq!(request.metadata[0].help, "Jobs \\ done.");
        assert_eq!(
            (request.metadata[0].r#type, request.metadata[1].r#type),
            (1, 2)
        );
    }

    #[test]
    fn extra_labels_replace_and_are_checked() {
        let extra = [("job".to_owned(), "b".to_owned())];
        let request = write_request("x{job=\"a\"} 1\n", &extra, 0);
        assert_eq!(
            labels(&request.timeseries[0]),
            [("__name__", "x"), ("job", "b")]
        );
        assert!(valid_extra_label("instance"));
        assert!(!valid_extra_label("__name__") && !valid_extra_label("1x"));
    }
}
