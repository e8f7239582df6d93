//! JSON in the style of Go's `/debug/vars`: one object with every family,
//! meant for humans, scripts and other processes, not for Prometheus.
//!
//! Shape (families in registration order; counters keyed by their
//! `_total` sample name):
//!
//! ```json
//! {
//!   "families": {
//!     "http_requests_total": {
//!       "type": "counter", "help": "Requests served.", "unit": null,
//!       "series": [{"labels": {"method": "GET"}, "value": 3}]
//!     },
//!     "latency_seconds": {
//!       "type": "histogram", "help": "...", "unit": "seconds", "clamped": 0,
//!       "series": [{"labels": {}, "count": 2, "sum": 0.5, "min": 0.1,
//!                   "max": 0.4, "mean": 0.25, "p50": 0.1, "p90": 0.4,
//!                   "p99": 0.4, "p999": 0.4, "scale": 1e9,
//!                   "hdr_v2_base64": "HISTFAAA..."}]
//!     }
//!   },
//!   "failed_computed": 0
//! }
//! ```
//!
//! Labels include the registry's constant labels. Integer values are
//! JSON integers; non-finite floats, which JSON cannot hold, are the
//! strings `"NaN"`, `"+Inf"`, `"-Inf"`. Histogram statistics are in
//! exposed units (recorded / `scale`); `hdr_v2_base64` is the series'
//! HdrHistogram in V2 serialization (recording units), base64, so
//! another process can decode and merge histograms exactly (feature
//! `json-hdr`, on by default and with the facade's `serve`; without it
//! the field is left out).

#[cfg(feature = "json-hdr")]
use base64::Engine;
#[cfg(feature = "json-hdr")]
use hdrhistogram::serialization::{Serializer as _, V2Serializer};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use tally_core::{HistogramSnapshot, MetricKind, RegistrySnapshot, Value};

use super::plan::Plan;
use super::quantiles::quantile_value;

/// Appends `snapshot` as JSON.
pub fn encode_json(snapshot: &RegistrySnapshot, out: &mut Vec<u8>) {
    let doc = Document { snapshot };
    serde_json::to_writer(out, &doc).expect("writing JSON into a Vec cannot fail");
}

struct Document<'a> {
    snapshot: &'a RegistrySnapshot,
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let snapshot = self.snapshot;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("families", &Families { snapshot })?;
        map.serialize_entry("failed_computed", &snapshot.failed_computed)?;
        map.end()
    }
}

struct Families<'a> {
    snapshot: &'a RegistrySnapshot,
}

impl Serialize for Families<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let snapshot = self.snapshot;
        let mut map = serializer.serialize_map(Some(snapshot.families.len()))?;
        for family in &snapshot.families {
            let plan = Plan::new(family);
            map.serialize_entry(
                &*plan.listed,
                &Family {
                    snapshot,
                    plan: &plan,
                },
            )?;
        }
        map.end()
    }
}

struct Family<'a> {
    snapshot: &'a RegistrySnapshot,
    plan: &'a Plan<'a>,
}

#[derive(Serialize)]
struct FamilyJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    help: &'a str,
    unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clamped: Option<u64>,
    series: SeriesList<'a>,
}

impl Serialize for Family<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let plan = self.plan;
        let family = plan.family;
        // Distribution families say how many values were clamped.
        let clamped = matches!(family.kind, MetricKind::Histogram | MetricKind::Summary)
            .then_some(family.clamped);
        FamilyJson {
            kind: plan.kind_name,
            help: &family.help,
            unit: plan.unit,
            clamped,
            series: SeriesList {
                consts: &self.snapshot.const_labels,
                plan,
            },
        }
        .serialize(serializer)
    }
}

struct SeriesList<'a> {
    consts: &'a [(String, String)],
    plan: &'a Plan<'a>,
}

impl Serialize for SeriesList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.plan.family.series.iter().map(|s| SeriesJson {
            labels: LabelMap {
                consts: self.consts,
                plan: self.plan,
                index: s.index,
            },
            value: &s.value,
        }))
    }
}

/// A series' labels, constants first, as a JSON object.
struct LabelMap<'a> {
    consts: &'a [(String, String)],
    plan: &'a Plan<'a>,
    index: usize,
}

impl Serialize for LabelMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let consts = self.consts.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        // Shorten the pairs' `'static` to the constants' lifetime.
        let pairs = self
            .plan
            .pairs(self.index)
            .map(|(k, v)| -> (&str, &str) { (k, v) });
        serializer.collect_map(consts.chain(pairs))
    }
}

struct SeriesJson<'a> {
    labels: LabelMap<'a>,
    value: &'a Value,
}

impl Serialize for SeriesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Histogram(h) | Value::Summary(h) => {
                HistogramJson::new(&self.labels, h).serialize(serializer)
            }
            value => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("labels", &self.labels)?;
                match *value {
                    Value::Counter(v) => map.serialize_entry("value", &v)?,
                    Value::Gauge(v) => map.serialize_entry("value", &v)?,
                    Value::CounterF64(v) | Value::GaugeF64(v) => {
                        map.serialize_entry("value", &Float(v))?
                    }
                    Value::Histogram(_) | Value::Summary(_) => unreachable!("matched above"),
                }
                map.end()
            }
        }
    }
}

/// A float, or the string `NaN`, `+Inf`, `-Inf` where JSON has no number.
struct Float(f64);

impl Serialize for Float {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_nan() {
            serializer.serialize_str("NaN")
        } else if v.is_infinite() {
            serializer.serialize_str(if v > 0.0 { "+Inf" } else { "-Inf" })
        } else {
            serializer.serialize_f64(v)
        }
    }
}

#[derive(Serialize)]
struct HistogramJson<'a> {
    labels: &'a LabelMap<'a>,
    count: u64,
    sum: Float,
    min: Float,
    max: Float,
    mean: Float,
    p50: Float,
    p90: Float,
    p99: Float,
    p999: Float,
    scale: f64,
    #[cfg(feature = "json-hdr")]
    hdr_v2_base64: String,
}

impl<'a> HistogramJson<'a> {
    fn new(labels: &'a LabelMap<'a>, h: &HistogramSnapshot) -> Self {
        let scale = h.config().scale();
        #[cfg(feature = "json-hdr")]
        let mut v2 = Vec::new();
        #[cfg(feature = "json-hdr")]
        V2Serializer::new()
            .serialize(h.hdr(), &mut v2)
            .expect("serializing into a Vec cannot fail");
        HistogramJson {
            labels,
            count: h.count(),
            sum: Float(h.sum_scaled()),
            min: Float(h.min() as f64 / scale),
            max: Float(h.max() as f64 / scale),
            mean: Float(h.mean() / scale),
            p50: Float(quantile_value(h, 0.5)),
            p90: Float(quantile_value(h, 0.9)),
            p99: Float(quantile_value(h, 0.99)),
            p999: Float(quantile_value(h, 0.999)),
            scale,
            #[cfg(feature = "json-hdr")]
            hdr_v2_base64: base64::engine::general_purpose::STANDARD.encode(&v2),
        }
    }
}
