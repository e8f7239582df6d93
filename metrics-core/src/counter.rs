//! Monotonic counters: the per-thread-sharded integer [`Counter`] and the
//! atomic float [`FloatCounter`].

use std::marker::PhantomData;

use crate::desc::MetricKind;
use crate::exemplar::Exemplars;
use crate::float::AtomicF64;
use crate::label::{LabelDesc, LabelSet};
use crate::lines::{Access, Cells};
use crate::metric::{CollectError, Collected, Metric};
use crate::sharded::Sharded;
use crate::snapshot::{Series, Value};

/// A family of monotonic `u64` counters, one per label set of `L`.
///
/// Each thread increments its own cache-padded shard with a plain load and
/// store (no locked instruction, no contention); [`get`](CounterRef::get)
/// and scrapes sum the shards. No increment is ever lost.
///
/// ```
/// use tally_core::Counter;
/// let requests: Counter<bool> = Counter::new();
/// requests.with(true).inc();
/// requests.with(false).add(2);
/// assert_eq!(requests.with(false).get(), 2);
/// ```
pub struct Counter<L: LabelSet = ()> {
    core: CounterCore,
    _labels: PhantomData<fn(L)>,
}

/// The label-independent part of a counter family.
struct CounterCore {
    shards: Sharded<Cells>,
    exemplars: Exemplars,
}

impl<L: LabelSet> Counter<L> {
    /// A family with every series at zero.
    pub fn new() -> Self {
        Counter {
            core: CounterCore {
                shards: Sharded::new(Cells::new(L::CARDINALITY)),
                exemplars: Exemplars::new(L::CARDINALITY, 1),
            },
            _labels: PhantomData,
        }
    }

    /// The series for `labels`: a cheap handle to increment or read.
    #[inline(always)]
    pub fn with(&self, labels: L) -> CounterRef<'_> {
        let index = labels.index();
        assert!(index < L::CARDINALITY, "LabelSet::index out of range");
        CounterRef {
            core: &self.core,
            index,
        }
    }

    /// The value of every series, by series index.
    pub fn values(&self) -> Vec<u64> {
        let mut totals = vec![0u64; L::CARDINALITY];
        for block in self.core.shards.blocks() {
            for (i, total) in totals.iter_mut().enumerate() {
                *total = total.wrapping_add(block.load(i));
            }
        }
        totals
    }

    /// Heap bytes held now: the shard table plus every allocated shard.
    pub fn heap_bytes(&self) -> usize {
        self.core
            .shards
            .blocks()
            .map(Cells::heap_bytes)
            .sum::<usize>()
            + self.core.shards.table_bytes()
    }
}

impl Counter<()> {
    /// Adds one.
    #[inline(always)]
    pub fn inc(&self) {
        self.with(()).inc()
    }

    /// Adds `n`.
    #[inline(always)]
    pub fn add(&self, n: u64) {
        self.with(()).add(n)
    }

    /// Adds `n` with an exemplar; see [`CounterRef::add_with_exemplar`].
    pub fn add_with_exemplar(&self, n: u64, trace_id: &str, span_id: &str) {
        self.with(()).add_with_exemplar(n, trace_id, span_id)
    }

    /// The total: the sum of every thread's shard.
    pub fn get(&self) -> u64 {
        self.with(()).get()
    }
}

impl<L: LabelSet> Default for Counter<L> {
    fn default() -> Self {
        Self::new()
    }
}

impl<L: LabelSet> std::fmt::Debug for Counter<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counter")
            .field("values", &self.values())
            .finish()
    }
}

/// One series of a [`Counter`], from [`Counter::with`].
#[derive(Clone, Copy)]
pub struct CounterRef<'a> {
    core: &'a CounterCore,
    index: usize,
}

impl CounterRef<'_> {
    /// Adds one.
    #[inline(always)]
    pub fn inc(self) {
        self.add(1)
    }

    /// Adds `n` (wrapping at `u64::MAX`, as Prometheus counters do).
    #[inline(always)]
    pub fn add(self, n: u64) {
        match self.core.shards.owned() {
            // SAFETY: every block has `L::CARDINALITY` cells (the shared
            // one is made so, owned ones are its `fresh` copies) and `with`
            // checked `index < L::CARDINALITY`.
            Some(block) => unsafe { block.add_unchecked(self.index, n, Access::Owned) },
            None => self.add_cold(n),
        }
    }

    /// [`add`](Self::add) on a thread's first write or past the owned range.
    #[cold]
    #[inline(never)]
    fn add_cold(self, n: u64) {
        let (block, access) = self.core.shards.block_cold();
        block.add(self.index, n, access)
    }

    /// Adds `n` and keeps an exemplar of it: the trace (and span, or
    /// `""`) it happened in, latest wins. Exposed in OpenMetrics and
    /// protobuf; an exemplar whose ids hold a character outside
    /// [`is_exemplar_id`](crate::is_exemplar_id)'s set or whose labels
    /// exceed [`EXEMPLAR_LABELS_MAX`](crate::EXEMPLAR_LABELS_MAX)
    /// characters is counted in [`exemplars_rejected`](crate::exemplars_rejected) and
    /// dropped (the increment is kept). [`add`](Self::add) never pays for
    /// exemplars.
    pub fn add_with_exemplar(self, n: u64, trace_id: &str, span_id: &str) {
        self.add(n);
        self.core
            .exemplars
            .store(self.index, 0, trace_id, span_id, n as f64);
    }

    /// The series' total: the sum of every thread's shard.
    pub fn get(self) -> u64 {
        self.core
            .shards
            .blocks()
            .fold(0u64, |sum, block| sum.wrapping_add(block.load(self.index)))
    }
}

impl<L: LabelSet> Metric for Counter<L> {
    fn kind(&self) -> MetricKind {
        MetricKind::Counter
    }

    fn labels(&self) -> &'static LabelDesc {
        L::DESC
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let series = self
            .values()
            .into_iter()
            .enumerate()
            .map(|(index, v)| Series {
                exemplars: self.core.exemplars.read(index),
                ..Series::new(index, Value::Counter(v))
            })
            .collect();
        Ok(Collected { series, clamped: 0 })
    }
}

/// A family of monotonic `f64` counters (seconds of CPU spent, ...).
/// Updated by compare-and-swap on the value's bits; not sharded.
pub struct FloatCounter<L: LabelSet = ()> {
    cells: Box<[AtomicF64]>,
    _labels: PhantomData<fn(L)>,
}

impl<L: LabelSet> FloatCounter<L> {
    /// A family with every series at zero.
    pub fn new() -> Self {
        FloatCounter {
            cells: (0..L::CARDINALITY).map(|_| AtomicF64::new(0.0)).collect(),
            _labels: PhantomData,
        }
    }

    /// The series for `labels`.
    #[inline(always)]
    pub fn with(&self, labels: L) -> FloatCounterRef<'_> {
        FloatCounterRef(&self.cells[labels.index()])
    }
}

impl FloatCounter<()> {
    /// Adds `v`; see [`FloatCounterRef::add`].
    pub fn add(&self, v: f64) {
        self.with(()).add(v)
    }

    /// The current total.
    pub fn get(&self) -> f64 {
        self.with(()).get()
    }
}

impl<L: LabelSet> Default for FloatCounter<L> {
    fn default() -> Self {
        Self::new()
    }
}

/// One series of a [`FloatCounter`].
#[derive(Clone, Copy)]
pub struct FloatCounterRef<'a>(&'a AtomicF64);

impl FloatCounterRef<'_> {
    /// Adds `v`. A counter only goes up: a negative or NaN `v` is ignored
    /// (and trips a debug assertion, as it is a bug in the caller).
    pub fn add(self, v: f64) {
        debug_assert!(v >= 0.0, "FloatCounter::add({v}): counters only go up");
        if v > 0.0 {
            self.0.add(v);
        }
    }

    /// The current total.
    pub fn get(self) -> f64 {
        self.0.get()
    }
}

impl<L: LabelSet> Metric for FloatCounter<L> {
    fn kind(&self) -> MetricKind {
        MetricKind::Counter
    }

    fn labels(&self) -> &'static LabelDesc {
        L::DESC
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        Ok(Collected {
            series: crate::float::series(&self.cells, Value::CounterF64),
            clamped: 0,
        })
    }
}
