//! One `metrics` name as a tally family: its label keys, one table of
//! values per key, and its series (at most `max_series`, plus overflow).
//!
//! Without an idle timeout each key's values are a leaked runtime-bounded
//! label table (`DynamicValues`). With one, they are the family's own
//! tables (`OwnedValues`): each series counts its updates, a series whose
//! count did not change for the timeout (measured from the collect that
//! saw it change, which read its value after that change) is removed at a
//! collect, and an ordinal no series holds any more is reused.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{
    AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::{Arc, RwLock};

use metrics::{CounterFn, GaugeFn, HistogramFn, Key, Unit};
use tally_core::dynamic_label::{DynamicValues, OVERFLOW_VALUE};
use tally_core::{
    name, CollectError, Collected, Collector, Desc, Histogram, HistogramConfig, LabelDesc, Metric,
    MetricKind, Series, Value, ValueNames,
};

use super::desc_pool::DescPool;
use super::idle_clock::Expiry;
use super::telemetry::{Dropped, Expired, MetricName, Telemetry};
use super::values::OwnedValues;

/// What a family is made from.
pub(super) struct FamilySpec<'a> {
    pub name: &'a str,
    pub kind: MetricKind,
    pub unit: Option<Unit>,
    pub help: String,
    pub label_keys: Vec<&'a str>,
    pub max_series: usize,
    /// The idle timeout's clock, the pool of label descriptions and its
    /// cap, when series expire.
    pub expiry: Option<(Arc<Expiry>, &'a DescPool, usize)>,
}

/// `empty_since` of a family that has series.
const NOT_EMPTY: u64 = u64::MAX;

/// One series' storage; the `metrics` handle of a counter, gauge or
/// histogram series.
pub(super) struct Cell {
    value: AtomicU64,
    histogram: Option<Histogram>,
    /// Whether updates are counted (the family's series expire).
    counted: bool,
    /// Updates (and registrations) so far, when counted: bumped with
    /// `Release` after the value changed.
    updates: AtomicU64,
    /// `updates` as the last collect saw it.
    seen: AtomicU64,
    /// When a collect last saw `updates` change (expiry clock).
    changed_at: AtomicU64,
}

impl CounterFn for Cell {
    fn increment(&self, value: u64) {
        self.value.fetch_add(value, Relaxed);
        self.updated();
    }

    fn absolute(&self, value: u64) {
        self.value.fetch_max(value, Relaxed);
        self.updated();
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
        self.updated();
    }
}

impl HistogramFn for Cell {
    fn record(&self, value: f64) {
        if let Some(h) = &self.histogram {
            h.record_f64(value);
        }
        self.updated();
    }
}

impl Cell {
    fn new(kind: MetricKind, histogram: HistogramConfig, counted: bool, now: u64) -> Self {
        Cell {
            value: AtomicU64::new(0),
            histogram: (kind == MetricKind::Histogram)
                .then(|| Histogram::with_config(histogram).expect("a valid built-in config")),
            counted,
            updates: AtomicU64::new(0),
            seen: AtomicU64::new(0),
            changed_at: AtomicU64::new(now),
        }
    }

    fn update(&self, f: impl Fn(f64) -> f64) {
        let _ = self.value.fetch_update(Relaxed, Relaxed, |bits| {
            Some(f(f64::from_bits(bits)).to_bits())
        });
        self.updated();
    }

    /// Counts an update, after it, when the family's series expire: the
    /// only extra work on the handle path.
    #[inline]
    fn updated(&self) {
        if self.counted {
            self.updates.fetch_add(1, Release);
        }
    }
}

/// Where a family's label values live.
enum Values {
    /// Leaked runtime-bounded tables, one per key (no expiry).
    Leaked(Vec<&'static DynamicValues>),
    /// The family's own tables, one per key (series expire).
    Owned {
        tables: RwLock<Vec<OwnedValues>>,
        expiry: Arc<Expiry>,
        /// When a collect first found the family without series since it
        /// last had some ([`NOT_EMPTY`] if it has).
        empty_since: AtomicU64,
    },
}

/// A `metrics` name registered in a tally registry.
pub(super) struct Family {
    name: String,
    kind: MetricKind,
    help: RwLock<String>,
    histogram: HistogramConfig,
    label_keys: Vec<&'static str>,
    values: Values,
    strides: Vec<usize>,
    radix: usize,
    desc: &'static LabelDesc,
    max_series: usize,
    overflow_index: usize,
    series: RwLock<HashMap<usize, Arc<Cell>>>,
    metric: MetricName,
    telemetry: Arc<Telemetry>,
}

impl Family {
    /// Validates the name and label keys and builds the family's label
    /// description: leaked, one per name, without expiry; from the
    /// bounded pool with it.
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
        // Mixed radix over (cap + 1) values per label: `cap` is chosen so
        // the index space fits a u64 (only recorded series are stored).
        let radix = cap + 1;
        let mut strides = vec![1usize; keys.len()];
        let mut total = 1usize;
        for i in (0..keys.len()).rev() {
            strides[i] = total;
            total = total.checked_mul(radix).ok_or(Dropped::TooManyLabels)?;
        }
        let (label_keys, values, desc) = match spec.expiry {
            Some((expiry, pool, max_descs)) => {
                let desc = pool.intern(&keys, cap, max_descs)?;
                let tables = keys.iter().map(|_| OwnedValues::new(cap)).collect();
                let values = Values::Owned {
                    tables: RwLock::new(tables),
                    expiry,
                    empty_since: AtomicU64::new(NOT_EMPTY),
                };
                (desc.names.to_vec(), values, desc)
            }
            None => {
                let (label_keys, tables, desc) = leaked_desc(&keys, cap)?;
                (label_keys, Values::Leaked(tables), desc)
            }
        };
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
            values,
            strides,
            radix,
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

    /// Since when (expiry clock) the family has had no series, as the
    /// last collect found it; `None` if it has some now, or its series
    /// do not expire.
    pub(super) fn idle_since(&self) -> Option<u64> {
        let Values::Owned { empty_since, .. } = &self.values else {
            return None;
        };
        let since = empty_since.load(Relaxed);
        let empty = self
            .series
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty();
        (since != NOT_EMPTY && empty).then_some(since)
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
        match &self.values {
            Values::Leaked(tables) => Some(self.leaked_series(&labels, tables)),
            Values::Owned { tables, expiry, .. } => {
                Some(self.owned_series(&labels, tables, expiry))
            }
        }
    }

    fn leaked_series(
        &self,
        labels: &[(&str, &str)],
        tables: &[&'static DynamicValues],
    ) -> Arc<Cell> {
        let mut index = 0;
        let mut refused = false;
        for (((_, v), table), stride) in labels.iter().zip(tables).zip(&self.strides) {
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
            return cell.clone();
        }
        let mut series = self.series.write().unwrap_or_else(|e| e.into_inner());
        if !refused && !series.contains_key(&index) && series.len() >= self.max_series {
            index = self.overflow_series();
        }
        series
            .entry(index)
            .or_insert_with(|| Arc::new(Cell::new(self.kind, self.histogram, false, 0)))
            .clone()
    }

    /// With expiry. A registration counts as an update, made while the
    /// tables are locked (for reading, at least): a collect removes a
    /// series only under their write lock after checking the count, so a
    /// registration never returns a series being removed.
    fn owned_series(
        &self,
        labels: &[(&str, &str)],
        tables: &RwLock<Vec<OwnedValues>>,
        expiry: &Expiry,
    ) -> Arc<Cell> {
        {
            let tables = tables.read().unwrap_or_else(|e| e.into_inner());
            let index = labels
                .iter()
                .zip(tables.iter())
                .zip(&self.strides)
                .try_fold(0, |index, (((_, v), table), stride)| {
                    Some(index + table.find(v)? * stride)
                });
            if let Some(index) = index {
                if let Some(cell) = self
                    .series
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&index)
                {
                    cell.updated();
                    return cell.clone();
                }
            }
        }
        let mut tables = tables.write().unwrap_or_else(|e| e.into_inner());
        let mut series = self.series.write().unwrap_or_else(|e| e.into_inner());
        let mut ordinals = Vec::with_capacity(labels.len());
        let mut fresh = Vec::new();
        let mut index = Some(0);
        for (l, ((_, v), table)) in labels.iter().zip(tables.iter_mut()).enumerate() {
            match table.admit(v) {
                Some((ordinal, new)) => {
                    ordinals.push(ordinal);
                    if new {
                        fresh.push(l);
                    }
                    index = index.map(|i| i + ordinal * self.strides[l]);
                }
                None => {
                    index = None;
                    break;
                }
            }
        }
        if let Some(cell) = index.and_then(|i| series.get(&i)) {
            cell.updated();
            return cell.clone();
        }
        if series.len() >= self.max_series {
            index = None;
        }
        let index = match index {
            Some(index) => {
                for (table, &ordinal) in tables.iter_mut().zip(&ordinals) {
                    table.hold(ordinal);
                }
                index
            }
            None => {
                // Values admitted for a series that goes to overflow.
                for l in fresh {
                    tables[l].free_if_unheld(ordinals[l]);
                }
                self.telemetry.series_overflow(self.metric);
                self.overflow_index
            }
        };
        let now = expiry.now();
        let cell = series
            .entry(index)
            .or_insert_with(|| Arc::new(Cell::new(self.kind, self.histogram, true, now)));
        cell.updated();
        cell.clone()
    }
}

/// The leaked label description and runtime-bounded tables of labels
/// `keys` (sorted) with `cap` values each.
#[allow(clippy::type_complexity)]
fn leaked_desc(
    keys: &[&str],
    cap: usize,
) -> Result<
    (
        Vec<&'static str>,
        Vec<&'static DynamicValues>,
        &'static LabelDesc,
    ),
    Dropped,
> {
    let leak = |s: &str| -> &'static str { Box::leak(s.into()) };
    let label_keys: Vec<&'static str> = keys.iter().map(|k| leak(k)).collect();
    let mut tables = Vec::new();
    for key in &label_keys {
        tables.push(DynamicValues::leak(key, cap).map_err(|_| Dropped::TooManyLabels)?);
    }
    let placeholders: &'static [&'static str] = Box::leak(
        (0..=cap)
            .map(|o| if o == cap { OVERFLOW_VALUE } else { "" })
            .collect(),
    );
    let desc: &'static LabelDesc = Box::leak(Box::new(LabelDesc {
        names: Box::leak(label_keys.clone().into_boxed_slice()),
        values: Box::leak(vec![placeholders; label_keys.len()].into_boxed_slice()),
        dynamic: Box::leak(tables.iter().map(|t| Some(*t)).collect()),
    }));
    Ok((label_keys, tables, desc))
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
        if let Values::Leaked(tables) = &self.values {
            for table in tables {
                table.overflow_ordinal();
            }
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
        let (cells, names) = match &self.values {
            Values::Leaked(_) => (self.cells(), ValueNames::default()),
            Values::Owned {
                tables,
                expiry,
                empty_since,
            } => self.expire(tables, expiry, empty_since),
        };
        let mut collected = Collected {
            names,
            ..Collected::default()
        };
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

impl Family {
    /// Every series, by index.
    fn cells(&self) -> Vec<(usize, Arc<Cell>)> {
        self.series
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(i, c)| (*i, c.clone()))
            .collect()
    }

    /// With expiry: notes which series changed since the last collect,
    /// removes those idle for the timeout (not read: the collect that saw
    /// their last change read their value after it), and returns the
    /// others with the names of their label values, taken together.
    fn expire(
        &self,
        tables: &RwLock<Vec<OwnedValues>>,
        expiry: &Expiry,
        empty_since: &AtomicU64,
    ) -> (Vec<(usize, Arc<Cell>)>, ValueNames) {
        let now = expiry.now();
        let (mut cells, names) = {
            let tables = tables.read().unwrap_or_else(|e| e.into_inner());
            let names = ValueNames::new(tables.iter().map(|t| Some(t.names())).collect());
            (self.cells(), names)
        };
        let mut idle = Vec::new();
        cells.retain(|(index, cell)| {
            // Acquire: the value read next includes every update counted.
            let updates = cell.updates.load(Acquire);
            if cell.seen.swap(updates, Relaxed) != updates {
                cell.changed_at.store(now, Relaxed);
                return true;
            }
            if expiry.expired(cell.changed_at.load(Relaxed), now) {
                idle.push((*index, cell.clone(), updates));
                return false;
            }
            true
        });
        let mut removed = 0;
        if !idle.is_empty() {
            let mut tables = tables.write().unwrap_or_else(|e| e.into_inner());
            let mut series = self.series.write().unwrap_or_else(|e| e.into_inner());
            for (index, cell, updates) in idle {
                let same = series.get(&index).is_some_and(|c| Arc::ptr_eq(c, &cell));
                if !same {
                    continue;
                }
                if cell.updates.load(Acquire) != updates {
                    // Registered or written meanwhile: kept and read.
                    cells.push((index, cell));
                    continue;
                }
                series.remove(&index);
                removed += 1;
                if index != self.overflow_index {
                    for (l, table) in tables.iter_mut().enumerate() {
                        table.release(index / self.strides[l] % self.radix);
                    }
                }
            }
        }
        self.telemetry.expire(Expired::Series, removed);
        if self
            .series
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
        {
            let _ = empty_since.compare_exchange(NOT_EMPTY, now, Relaxed, Relaxed);
        } else {
            empty_since.store(NOT_EMPTY, Relaxed);
        }
        (cells, names)
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
