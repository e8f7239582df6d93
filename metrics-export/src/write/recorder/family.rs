//! One `metrics` name as a tally family: its label keys, one runtime-bounded
//! table per key, and its series (at most `max_series`, plus overflow).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock};

use metrics::{CounterFn, GaugeFn, HistogramFn, Key, Unit};
use tally_core::dynamic_label::{DynamicValues, OVERFLOW_VALUE};
use tally_core::{
    name, CollectError, Collected, Collector, Desc, Histogram, HistogramConfig, LabelDesc, Metric,
    MetricKind, Series, Value,
};

use super::telemetry::{Dropped, MetricName, Telemetry};

/// What a family is made from.
pub(super) struct FamilySpec<'a> {
    pub name: &'a str,
    pub kind: MetricKind,
    pub unit: Option<Unit>,
    pub help: String,
    pub label_keys: Vec<&'a str>,
    pub max_series: usize,
}

/// One series' storage; the `metrics` handle of a counter, gauge or
/// histogram series.
pub(super) struct Cell {
    value: AtomicU64,
    histogram: Option<Histogram>,
}

impl CounterFn for Cell {
    fn increment(&self, value: u64) {
        self.value.fetch_add(value, Relaxed);
    }

    fn absolute(&self, value: u64) {
        self.value.fetch_max(value, Relaxed);
    }
}

impl GaugeFn for Cell {
    fn increment(&self, value: f64) {
        self.update(|v| v + value)
    }

    fn decrement(&self, value: f64) {
        self.update(|v| v - value)
    }

    fn set(&self, value: f64) {
        self.value.store(value.to_bits(), Relaxed);
    }
}

impl HistogramFn for Cell {
    fn record(&self, value: f64) {
        if let Some(h) = &self.histogram {
            h.record_f64(value);
        }
    }
}

impl Cell {
    fn update(&self, f: impl Fn(f64) -> f64) {
        let _ = self.value.fetch_update(Relaxed, Relaxed, |bits| {
            Some(f(f64::from_bits(bits)).to_bits())
        });
    }
}

/// A `metrics` name registered in a tally registry.
pub(super) struct Family {
    name: String,
    kind: MetricKind,
    help: RwLock<String>,
    histogram: HistogramConfig,
    label_keys: Vec<&'static str>,
    tables: Vec<&'static DynamicValues>,
    strides: Vec<usize>,
    desc: &'static LabelDesc,
    max_series: usize,
    overflow_index: usize,
    series: RwLock<HashMap<usize, Arc<Cell>>>,
    metric: MetricName,
    telemetry: Arc<Telemetry>,
}

impl Family {
    /// Validates the name and label keys and builds the family's label
    /// description (leaked: one per name, bounded by the names a process
    /// uses).
    pub(super) fn new(spec: FamilySpec<'_>, telemetry: Arc<Telemetry>) -> Result<Self, Dropped> {
        name::check_metric_name(spec.name).map_err(|_| Dropped::InvalidName)?;
        let mut keys = spec.label_keys;
        keys.sort_unstable();
        if keys.windows(2).any(|w| w[0] == w[1]) {
            return Err(Dropped::InvalidLabelName);
        }
        for key in &keys {
            name::check_label_name(key).map_err(|_| Dropped::InvalidLabelName)?;
        }
        let cap = per_label_capacity(spec.max_series, keys.len());
        let leak = |s: &str| -> &'static str { Box::leak(s.into()) };
        let label_keys: Vec<&'static str> = keys.iter().map(|k| leak(k)).collect();
        let mut tables = Vec::new();
        for key in &label_keys {
            tables.push(DynamicValues::leak(key, cap).map_err(|_| Dropped::TooManyLabels)?);
        }
        // Mixed radix over (cap + 1) values per label: `cap` is chosen so
        // the index space fits a u64 (only recorded series are stored).
        let radix = cap + 1;
        let mut strides = vec![1usize; label_keys.len()];
        let mut total = 1usize;
        for i in (0..label_keys.len()).rev() {
            strides[i] = total;
            total = total.checked_mul(radix).ok_or(Dropped::TooManyLabels)?;
        }
        let placeholders: &'static [&'static str] = Box::leak(
            (0..radix)
                .map(|o| if o == cap { OVERFLOW_VALUE } else { "" })
                .collect(),
        );
        let desc: &'static LabelDesc = Box::leak(Box::new(LabelDesc {
            names: Box::leak(label_keys.clone().into_boxed_slice()),
            values: Box::leak(vec![placeholders; label_keys.len()].into_boxed_slice()),
            dynamic: Box::leak(tables.iter().map(|t| Some(*t)).collect()),
        }));
        let histogram = match spec.unit {
            None | Some(Unit::Seconds) => HistogramConfig::seconds(),
            Some(_) => HistogramConfig::raw(1, 1 << 53),
        };
        let overflow_index = strides.iter().map(|s| s * cap).sum();
        Ok(Family {
            name: spec.name.to_owned(),
            kind: spec.kind,
            help: RwLock::new(spec.help),
            histogram,
            label_keys,
            tables,
            strides,
            desc,
            max_series: spec.max_series,
            overflow_index,
            series: RwLock::default(),
            metric: MetricName::admit(spec.name),
            telemetry,
        })
    }

    pub(super) fn kind(&self) -> MetricKind {
        self.kind
    }

    pub(super) fn set_help(&self, help: String) {
        *self.help.write().unwrap_or_else(|e| e.into_inner()) = help;
    }

    /// The series of `key`'s labels, created on first use; the overflow
    /// series past `max_series`; `None` (counted) if its label keys are
    /// not the family's.
    pub(super) fn series(&self, key: &Key) -> Option<Arc<Cell>> {
        let mut labels: Vec<(&str, &str)> = key.labels().map(|l| (l.key(), l.value())).collect();
        labels.sort_unstable_by_key(|(k, _)| *k);
        if labels.len() != self.label_keys.len()
            || labels
                .iter()
                .zip(&self.label_keys)
                .any(|((k, _), want)| k != want)
        {
            self.telemetry.drop_one(Dropped::LabelKeysConflict);
            return None;
        }
        let mut index = 0;
        let mut refused = false;
        for (((_, v), table), stride) in labels.iter().zip(&self.tables).zip(&self.strides) {
            let ordinal = table.resolve(v);
            refused |= ordinal == table.capacity();
            index += ordinal * stride;
        }
        // A label set with a refused value goes to the overflow series
        // (every label `__overflow__`), not to a partial mix.
        if refused {
            index = self.overflow_series();
        }
        if let Some(cell) = self
            .series
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&index)
        {
            return Some(cell.clone());
        }
        let mut series = self.series.write().unwrap_or_else(|e| e.into_inner());
        if !refused && !series.contains_key(&index) && series.len() >= self.max_series {
            index = self.overflow_series();
        }
        let histogram = self.histogram;
        let kind = self.kind;
        Some(
            series
                .entry(index)
                .or_insert_with(|| {
                    Arc::new(Cell {
                        value: AtomicU64::new(0),
                        histogram: (kind == MetricKind::Histogram).then(|| {
                            Histogram::with_config(histogram).expect("a valid built-in config")
                        }),
                    })
                })
                .clone(),
        )
    }
}

/// How many values each of `keys` label keys admits: `max_series`, or
/// less when `keys` is large, so that `(capacity + 1)^keys` (the index
/// space of the family's label sets) fits a `usize`. At least 1.
pub(super) fn per_label_capacity(max_series: usize, keys: usize) -> usize {
    let fits = |cap: usize| {
        u32::try_from(keys)
            .ok()
            .and_then(|k| (cap + 1).checked_pow(k))
            .is_some()
    };
    if fits(max_series) {
        return max_series;
    }
    // Binary search the largest capacity that fits (1 always does for
    // keys < usize::BITS, and a `metrics` key cannot have that many).
    let (mut lo, mut hi) = (1usize, max_series);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

impl Family {
    /// The overflow series' index, counted and marked used.
    fn overflow_series(&self) -> usize {
        self.telemetry.series_overflow(self.metric);
        for table in &self.tables {
            table.overflow_ordinal();
        }
        self.overflow_index
    }
}

impl Collector for Family {
    fn for_each_family(&self, visit: &mut dyn FnMut(&Desc, &dyn Metric)) {
        let help = self.help.read().unwrap_or_else(|e| e.into_inner()).clone();
        visit(&Desc::new(Cow::Owned(self.name.clone()), help), self)
    }
}

impl Metric for Family {
    fn kind(&self) -> MetricKind {
        self.kind
    }

    fn labels(&self) -> &'static LabelDesc {
        self.desc
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let cells: Vec<(usize, Arc<Cell>)> = self
            .series
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(i, c)| (*i, c.clone()))
            .collect();
        let mut collected = Collected::default();
        for (index, cell) in cells {
            let value = match self.kind {
                MetricKind::Counter => Value::Counter(cell.value.load(Relaxed)),
                MetricKind::Gauge => Value::GaugeF64(f64::from_bits(cell.value.load(Relaxed))),
                _ => {
                    let Some(h) = &cell.histogram else { continue };
                    let mut c = h.collect()?;
                    collected.clamped += c.clamped;
                    match c.series.pop() {
                        Some(s) => s.value,
                        None => continue,
                    }
                }
            };
            collected.series.push(Series::new(index, value));
        }
        collected.series.sort_unstable_by_key(|s| s.index);
        Ok(collected)
    }
}

#[cfg(test)]
mod tests {
    use super::per_label_capacity;

    #[test]
    fn the_index_space_fits_whatever_the_key_count() {
        assert_eq!(per_label_capacity(256, 0), 256);
        assert_eq!(per_label_capacity(256, 7), 256);
        // 257^8 > 2^64: 255^8 < 2^64 <= 256^8.
        assert_eq!(per_label_capacity(256, 8), 254);
        for keys in 1..=63 {
            let cap = per_label_capacity(256, keys);
            assert!(cap >= 1);
            assert!((cap + 1).checked_pow(keys as u32).is_some(), "{keys}");
            assert!(cap == 256 || (cap + 2).checked_pow(keys as u32).is_none());
        }
    }
}
