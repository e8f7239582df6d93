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

use tally_core::{HistogramSnapshot, RegistrySnapshot, Value};

use super::label_table::LabelTable;
use super::number::{write_f64, write_i64, write_u64};
use super::plan::{Ordinals, Plan};

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
        let plan = Plan::new(family);
        // Names are `[a-zA-Z0-9_:]`: nothing to escape. Counters are
        // listed as `name_total`; an info family as the gauge `name_info`
        // (1), as in Prometheus text.
        out.extend_from_slice(b"{\"name\":\"");
        out.extend_from_slice(plan.listed.as_bytes());
        out.extend_from_slice(b"\",\"kind\":\"");
        out.extend_from_slice(plan.type_name.as_bytes());
        out.push(b'"');
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
        labels.prepare(&plan);
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
    let scale = h.config().scale();
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
    /// The `"value"` literal of every (label, value).
    literals: LabelTable,
    /// The label ordinals of the current series.
    ordinals: Ordinals,
    /// `["v1",...,` of the current series, up to (without) its last
    /// label; empty until the family's first series.
    prefix: Vec<u8>,
}

impl LabelValues {
    fn prepare(&mut self, plan: &Plan) {
        self.literals
            .fill(plan.family.labels, &plan.family.names, |out, _, value| {
                json_str(out, value)
            });
        self.ordinals.reset(plan);
        self.prefix.clear();
    }

    /// `["v1","v2"]` for series `index`.
    #[inline]
    fn write(&mut self, out: &mut Vec<u8>, index: usize) {
        let changed = self.ordinals.seek(index);
        let ordinals = self.ordinals.get();
        let Some(last) = ordinals.len().checked_sub(1) else {
            out.extend_from_slice(b"[]");
            return;
        };
        if changed < last || self.prefix.is_empty() {
            self.prefix.clear();
            self.prefix.push(b'[');
            for (l, &ordinal) in ordinals[..last].iter().enumerate() {
                self.prefix
                    .extend_from_slice(self.literals.fragment(l, ordinal));
                self.prefix.push(b',');
            }
        }
        out.extend_from_slice(&self.prefix);
        out.extend_from_slice(self.literals.fragment(last, ordinals[last]));
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
