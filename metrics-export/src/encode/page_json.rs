//! The compact JSON the live metrics page polls (`/-/metrics.json`): per
//! family its name, kind, unit, help and label names once, then per
//! series its label values and value, or for histograms and summaries
//! count, sum, p50, p90 and p99.
//!
//! ```json
//! {"const_labels":{"region":"eu"},"failed_computed":0,"families":[
//!  {"name":"http_requests_total","kind":"counter","unit":null,
//!   "help":"Requests served.","labels":["method","status"],
//!   "series":[[["GET","2xx"],3],[["POST","2xx"],1]]},
//!  {"name":"http_latency_seconds","kind":"histogram","unit":"seconds",
//!   "help":"...","labels":["route"],
//!   "series":[[["/api/items"],2,0.5,0.1,0.4,0.4]]}]}
//! ```
//!
//! Kinds are `counter`, `gauge`, `histogram` and `summary` (a windowed
//! histogram: its count and quantiles cover the window only). Counters
//! are named with their `_total` sample name, as in `/debug/vars`.
//! Quantiles are in exposed units and equal [`quantile_value`]'s (the
//! HDR estimate capped to `[min, max]`), all three found in one pass over
//! the series' non-empty cells, without building an `hdrhistogram`.
//! Non-finite floats are the strings `"NaN"`, `"+Inf"`, `"-Inf"`.
//!
//! It is written byte by byte with `itoa`/`ryu` like the text encoders,
//! and each label value is escaped once per family, so a poll costs no
//! more than a text scrape of the same registry (`benches/page_poll.rs`).
//!
//! [`quantile_value`]: super::quantile_value

use tally_core::{HistogramSnapshot, LabelDesc, MetricKind, RegistrySnapshot, Value};

use super::number::{write_f64, write_i64, write_u64};

/// The quantiles each histogram series carries, in this order.
pub const PAGE_QUANTILES: [f64; 3] = [0.5, 0.9, 0.99];

/// Appends `snapshot` in the live page's compact JSON.
pub fn encode_page_json(snapshot: &RegistrySnapshot, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"const_labels\":{");
    for (i, (name, value)) in snapshot.const_labels.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, name);
        out.push(b':');
        json_str(out, value);
    }
    out.extend_from_slice(b"},\"failed_computed\":");
    write_u64(out, snapshot.failed_computed);
    out.extend_from_slice(b",\"families\":[");
    let mut labels = LabelValues::default();
    for (i, family) in snapshot.families.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":\"");
        // Family names are `[a-zA-Z0-9_:]`: nothing to escape.
        out.extend_from_slice(family.name.as_bytes());
        let kind: &[u8] = match family.kind {
            MetricKind::Counter => b"_total\",\"kind\":\"counter\"",
            MetricKind::Gauge => b"\",\"kind\":\"gauge\"",
            MetricKind::Histogram => b"\",\"kind\":\"histogram\"",
            MetricKind::Summary => b"\",\"kind\":\"summary\"",
            // The page shows an info family as the gauge `name_info` (1).
            MetricKind::Info => b"_info\",\"kind\":\"gauge\"",
        };
        out.extend_from_slice(kind);
        out.extend_from_slice(b",\"unit\":");
        match family.unit {
            Some(unit) => json_str(out, unit.as_str()),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"help\":");
        json_str(out, &family.help);
        out.extend_from_slice(b",\"labels\":[");
        for (l, name) in family.labels.names.iter().enumerate() {
            if l > 0 {
                out.push(b',');
            }
            json_str(out, name);
        }
        out.extend_from_slice(b"],\"series\":[");
        labels.prepare(family.labels);
        for (s, series) in family.series.iter().enumerate() {
            if s > 0 {
                out.push(b',');
            }
            out.push(b'[');
            labels.write(out, series.index);
            out.push(b',');
            match &series.value {
                Value::Counter(v) => write_u64(out, *v),
                Value::Gauge(v) => write_i64(out, *v),
                Value::CounterF64(v) | Value::GaugeF64(v) => json_f64(out, *v),
                Value::Histogram(h) | Value::Summary(h) => histogram(out, h),
            }
            out.push(b']');
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"]}");
}

/// `count,sum,p50,p90,p99` of one series, in exposed units.
fn histogram(out: &mut Vec<u8>, h: &HistogramSnapshot) {
    let [p50, p90, p99] = page_quantiles(h);
    write_u64(out, h.count());
    out.push(b',');
    json_f64(out, h.sum_scaled());
    for q in [p50, p90, p99] {
        out.push(b',');
        json_f64(out, q);
    }
}

/// [`PAGE_QUANTILES`] of `h` in exposed units, in one pass over its
/// non-empty cells ([`HistogramSnapshot::values_at_quantiles`]), capped to
/// `[min, max]` as [`quantile_value`](super::quantile_value) does.
pub fn page_quantiles(h: &HistogramSnapshot) -> [f64; 3] {
    let mut values = [0; 3];
    h.values_at_quantiles(&PAGE_QUANTILES, &mut values);
    let scale = h.config().scale_factor();
    values.map(|v| v.clamp(h.min(), h.max()) as f64 / scale)
}

/// A float as a JSON number, or a string where JSON has none.
#[inline]
fn json_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        write_f64(out, v);
    } else {
        out.push(b'"');
        write_f64(out, v);
        out.push(b'"');
    }
}

/// A JSON string literal: `"`, `\` and control characters escaped.
fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escaped);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// A family's label values, each escaped once as a JSON string, written
/// per series as an array.
#[derive(Default)]
struct LabelValues {
    desc: Option<&'static LabelDesc>,
    /// For each label, the series-index stride of its ordinal.
    strides: Vec<usize>,
    /// Escaped `"value"` literals of every (label, value), label-major.
    literals: Vec<u8>,
    /// End of each literal in `literals`.
    ends: Vec<usize>,
    /// Index in `ends` of each label's first value.
    base: Vec<usize>,
    /// The series last written and its label ordinals: series come in
    /// ascending order, so the next one's ordinals are an odometer step
    /// away (no division per label).
    at: Option<usize>,
    ordinals: Vec<usize>,
    /// `["v1",...,` of series `at`, up to (without) its last label.
    prefix: Vec<u8>,
}

impl LabelValues {
    fn prepare(&mut self, desc: &'static LabelDesc) {
        self.desc = Some(desc);
        let n = desc.values.len();
        self.strides.clear();
        self.strides.resize(n, 1);
        for i in (0..n.saturating_sub(1)).rev() {
            self.strides[i] = self.strides[i + 1] * desc.values[i + 1].len();
        }
        self.literals.clear();
        self.ends.clear();
        self.base.clear();
        for (l, values) in desc.values.iter().enumerate() {
            self.base.push(self.ends.len());
            for ordinal in 0..values.len() {
                json_str(&mut self.literals, desc.value_name(l, ordinal));
                self.ends.push(self.literals.len());
            }
        }
        self.at = None;
        self.prefix.clear();
        self.ordinals.clear();
        self.ordinals.resize(n, 0);
    }

    /// The escaped literal of label `l` at ordinal `ordinal`.
    #[inline]
    fn literal(&self, l: usize, ordinal: usize) -> &[u8] {
        let i = self.base[l] + ordinal;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.literals[start..self.ends[i]]
    }

    /// `["v1","v2"]` for series `index`.
    #[inline]
    fn write(&mut self, out: &mut Vec<u8>, index: usize) {
        let Some(desc) = self.desc else { return };
        let n = desc.values.len();
        if n == 0 {
            out.extend_from_slice(b"[]");
            return;
        }
        // The first label whose ordinal changed since the last series.
        let changed = if self.at.is_some_and(|at| at + 1 == index) {
            let mut l = n - 1;
            loop {
                self.ordinals[l] += 1;
                if self.ordinals[l] < desc.values[l].len() || l == 0 {
                    break l;
                }
                self.ordinals[l] = 0;
                l -= 1;
            }
        } else {
            for (l, values) in desc.values.iter().enumerate() {
                self.ordinals[l] = (index / self.strides[l]) % values.len();
            }
            0
        };
        self.at = Some(index);
        if changed < n - 1 || self.prefix.is_empty() {
            let mut prefix = std::mem::take(&mut self.prefix);
            prefix.clear();
            prefix.push(b'[');
            for l in 0..n - 1 {
                prefix.extend_from_slice(self.literal(l, self.ordinals[l]));
                prefix.push(b',');
            }
            self.prefix = prefix;
        }
        out.extend_from_slice(&self.prefix);
        out.extend_from_slice(self.literal(n - 1, self.ordinals[n - 1]));
        out.push(b']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_for_json() {
        let mut out = Vec::new();
        json_str(&mut out, "a\"b\\c\nd\u{1}é");
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, r#""a\"b\\c\nd\u0001é""#);
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn non_finite_floats_are_strings() {
        let mut out = Vec::new();
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.25] {
            json_f64(&mut out, v);
            out.push(b' ');
        }
        assert_eq!(out, b"\"NaN\" \"+Inf\" \"-Inf\" 0.25 ");
    }
}
