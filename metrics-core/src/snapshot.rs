//! Point-in-time copies of a registry's values: all an exporter reads.

use std::borrow::Cow;
use std::sync::Arc;

use crate::desc::{MetricKind, Unit};
use crate::exemplar::Exemplar;
use crate::histogram::snapshot::HistogramSnapshot;
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
    /// The names of the values of its labels that expire, taken together
    /// with the series (empty when no label expires).
    pub names: ValueNames,
}

/// The names of the values of a family's expiring labels
/// (`dynamic_label!(..., idle_secs = N)`), taken when the snapshot was:
/// such a name is not `'static` (its slot is reused once it expires), so
/// exporters read every value name through
/// [`FamilySnapshot::value_name`].
#[derive(Debug, Clone, Default)]
pub struct ValueNames {
    /// For each label, its values' names by ordinal if it expires.
    labels: Vec<Option<Vec<Option<Arc<str>>>>>,
}

impl ValueNames {
    /// Names for each label (`None` for a label that does not expire),
    /// each by ordinal (`None` for a slot not shown).
    pub fn new(labels: Vec<Option<Vec<Option<Arc<str>>>>>) -> Self {
        ValueNames { labels }
    }

    /// The name of value `ordinal` of label number `label` if that label
    /// expires (`""` for a slot not shown); `None` for a label that does
    /// not expire (read [`LabelDesc::value_name`]).
    pub fn get(&self, label: usize, ordinal: usize) -> Option<&str> {
        let names = self.labels.get(label)?.as_ref()?;
        Some(names.get(ordinal)?.as_deref().unwrap_or(""))
    }

    /// The exposed string of value `ordinal` of label number `label` of
    /// a family with labels `desc`.
    pub fn value_name<'a>(&'a self, desc: &LabelDesc, label: usize, ordinal: usize) -> &'a str {
        self.get(label, ordinal)
            .unwrap_or_else(|| desc.value_name(label, ordinal))
    }
}

impl FamilySnapshot {
    /// The exposed string of value `ordinal` of label number `label`: for
    /// a label that expires, the name taken with this snapshot; otherwise
    /// [`LabelDesc::value_name`].
    pub fn value_name(&self, label: usize, ordinal: usize) -> &str {
        self.names.value_name(self.labels, label, ordinal)
    }

    /// The `(label, value)` pairs of a series of this family (without the
    /// registry's constant labels).
    pub fn label_pairs(&self, series: &Series) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.index_pairs(series.index)
    }

    /// The `(label, value)` pairs of series index `index`.
    pub fn index_pairs(&self, index: usize) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.labels
            .names
            .iter()
            .enumerate()
            .map(move |(l, name)| (*name, self.value_name(l, self.labels.ordinal(index, l))))
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
    /// (the config's `quantiles()`, or p50/p90/p99/p999 if none),
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
