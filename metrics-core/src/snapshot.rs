//! Point-in-time copies of a registry's values: all an exporter reads.

use std::borrow::Cow;
use std::sync::Arc;

use crate::desc::{MetricKind, Unit};
use crate::exemplar::Exemplar;
use crate::histogram::HistogramSnapshot;
use crate::label::LabelDesc;

/// Everything a registry held at one moment.
#[derive(Debug)]
pub struct RegistrySnapshot {
    /// Every family, in registration order.
    pub families: Vec<FamilySnapshot>,
    /// The registry's constant labels, to put on every series.
    pub const_labels: Arc<[(String, String)]>,
    /// Computed metrics whose closure panicked during this snapshot (they
    /// are absent from `families`).
    pub failed_computed: u64,
}

/// One family at one moment.
#[derive(Debug)]
pub struct FamilySnapshot {
    /// The exposed name: registry prefix, name, unit suffix; without the
    /// `_total` that text exporters add to counter samples.
    pub name: String,
    /// HELP text.
    pub help: Cow<'static, str>,
    /// Unit, if any (already the suffix of `name`).
    pub unit: Option<Unit>,
    /// Counter, gauge or histogram.
    pub kind: MetricKind,
    /// Label names and values; a series' labels come from its index.
    pub labels: &'static LabelDesc,
    /// The series read.
    pub series: Vec<Series>,
    /// Out-of-range histogram values clamped into range, since start.
    pub clamped: u64,
}

impl FamilySnapshot {
    /// The `(label, value)` pairs of a series of this family (without the
    /// registry's constant labels).
    pub fn label_pairs(
        &self,
        series: &Series,
    ) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.labels.pairs(series.index)
    }
}

/// One series: its index in the family's label space and its value.
#[derive(Debug, Clone)]
pub struct Series {
    /// The series index (see [`LabelSet::index`](crate::LabelSet::index)).
    pub index: usize,
    /// The value read.
    pub value: Value,
    /// Its recent exemplars, oldest first (counters: at most one;
    /// histograms: at most one per range of values), empty if none.
    pub exemplars: Vec<Exemplar>,
}

impl Series {
    /// A series without exemplars.
    pub fn new(index: usize, value: Value) -> Self {
        Series {
            index,
            value,
            exemplars: Vec::new(),
        }
    }
}

/// A series' value.
#[derive(Debug, Clone)]
pub enum Value {
    /// An integer counter.
    Counter(u64),
    /// A float counter.
    CounterF64(f64),
    /// An integer gauge.
    Gauge(i64),
    /// A float gauge.
    GaugeF64(f64),
    /// A histogram.
    Histogram(Box<HistogramSnapshot>),
    /// A summary: the distribution over a window, exposed as quantiles
    /// (the config's `summary_quantiles()`, or p50/p90/p99/p999 if none),
    /// count and sum.
    Summary(Box<HistogramSnapshot>),
}

impl Value {
    /// The value as a float, for counters and gauges; `None` for
    /// histograms and summaries.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Counter(v) => Some(v as f64),
            Value::CounterF64(v) | Value::GaugeF64(v) => Some(v),
            Value::Gauge(v) => Some(v as f64),
            Value::Histogram(_) | Value::Summary(_) => None,
        }
    }
}
