//! Monotonic counters: the per-thread-sharded integer [`Counter`] and the
//! atomic float [`FloatCounter`].

use std::marker::PhantomData;

use crate::admission::epoch;
use crate::desc::MetricKind;
use crate::exemplar::Exemplars;
use crate::expiring::{
    expiring_limits, stamp, stamp_for_write, written_under, Expiring, PackedIndex,
};
use crate::float::AtomicF64;
use crate::label::{LabelDesc, LabelSet};
use crate::lines::{Access, Cells};
use crate::metric::{CollectError, Collected, Metric};
use crate::sharded::Sharded;
use crate::snapshot::{Series, Value};
use crate::sync::{fence, AtomicU64, Ordering};

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
    /// For a family with a label that expires: where that label sits.
    /// Each shard block then holds, after the family's `series` counts,
    /// one generation cell per series (see [`crate::expiring`]).
    expiring: Option<Expiring>,
    /// Where a block's generation cells start: the series count for a
    /// label set with a label that expires (whose blocks have the cells
    /// even if its hand-written descriptor names no such label), 0
    /// otherwise. Read by the record path instead of `expiring`.
    stamps: usize,
}

/// Block `block`'s count of series `index` (of a family of `series`
/// series, generation cells after the counts) if it was written under
/// `generation`: the generation cell is read before and after the count.
fn read_generation(block: &Cells, series: usize, index: usize, generation: u64) -> Option<u64> {
    let cell: &AtomicU64 = block.cell(series + index);
    if !written_under(cell.load(Ordering::Acquire), generation) {
        return None;
    }
    let count = block.load(index);
    fence(Ordering::Acquire);
    written_under(cell.load(Ordering::Relaxed), generation).then_some(count)
}

/// Adds `n` to series `index` of `block` under `generation` in export
/// `epoch`, by the block's sole writer: if the block last wrote the
/// series under another generation, its count is zeroed first
/// ([`stamp_for_write`]).
#[inline]
fn add_generation(block: &Cells, series: usize, index: usize, generation: u32, epoch: u32, n: u64) {
    let cell = block.cell(series + index);
    stamp_for_write(cell, generation, epoch, || block.store(index, 0));
    block.add(index, n, Access::Owned)
}

impl<L: LabelSet> Counter<L> {
    /// A family with every series at zero.
    pub fn new() -> Self {
        expiring_limits!(L, "Counter");
        let expiring = Expiring::of::<L>();
        let stamps = match L::EXPIRING != 0 || expiring.is_some() {
            true => L::CARDINALITY,
            false => 0,
        };
        Counter {
            core: CounterCore {
                shards: Sharded::new(Cells::new(L::CARDINALITY + stamps)),
                exemplars: Exemplars::new(L::CARDINALITY, 1),
                expiring,
                stamps,
            },
            _labels: PhantomData,
        }
    }

    /// The series for `labels`: a cheap handle to increment or read.
    #[inline(always)]
    pub fn with(&self, labels: L) -> CounterRef<'_> {
        let index = labels.index();
        assert!(index < L::CARDINALITY, "LabelSet::index out of range");
        // Only a label set with a label that expires has generation cells
        // for a generation to be checked against (`stamps`).
        let generation = match L::EXPIRING {
            0 => 0,
            _ => labels.generation(),
        };
        CounterRef::new(&self.core, index, generation)
    }

    /// The value of every series, by series index. For a family with a
    /// label that expires, a series counts only what was recorded under
    /// the value now holding its slot.
    pub fn values(&self) -> Vec<u64> {
        let mut totals = vec![0u64; L::CARDINALITY];
        if let Some(exp) = &self.core.expiring {
            let current: Vec<u64> = (0..L::CARDINALITY).map(|i| exp.current(i)).collect();
            for block in self.core.shards.blocks() {
                for (i, total) in totals.iter_mut().enumerate() {
                    if let Some(v) = read_generation(block, exp.series, i, current[i]) {
                        *total = total.wrapping_add(v);
                    }
                }
            }
            return totals;
        }
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
            .all_blocks()
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
    /// The series index and its expiring label's generation.
    index: PackedIndex,
}

impl<'a> CounterRef<'a> {
    /// The handle of series `index` recorded under `generation`.
    #[inline(always)]
    fn new(core: &'a CounterCore, index: usize, generation: u32) -> Self {
        CounterRef {
            core,
            index: PackedIndex::new(index, generation),
        }
    }

    /// The series index.
    #[inline(always)]
    fn index(self) -> usize {
        self.index.index()
    }

    /// The generation of the label set's expiring label (0 if none).
    #[inline(always)]
    fn generation(self) -> u32 {
        self.index.generation()
    }

    /// Adds one.
    #[inline(always)]
    pub fn inc(self) {
        self.add(1)
    }

    /// Adds `n` (wrapping at `u64::MAX`, as Prometheus counters do).
    #[inline(always)]
    pub fn add(self, n: u64) {
        // A constant 0 for labels that never expire: the branch folds away.
        if self.generation() != 0 {
            return self.add_expiring(n);
        }
        match self.core.shards.owned() {
            // SAFETY: every block has `L::CARDINALITY` cells (the shared
            // one is made so, owned ones are its `fresh` copies) and `with`
            // checked `index < L::CARDINALITY`.
            Some(block) => unsafe { block.add_unchecked(self.index(), n, Access::Owned) },
            None => self.add_cold(n),
        }
    }

    /// [`add`](Self::add) for a series of a value that may expire, when
    /// nothing changed since this thread's last write in this export
    /// epoch: the thread's block holds the series' stamp for the handle's
    /// generation and the current epoch ([`stamp`]: the thread marked the
    /// value's slot itself in this epoch, so the value holds it). Then it
    /// is a plain owned add after one load of the epoch and one compare;
    /// anything else (a new epoch, a new block, another generation, an
    /// evicted value) takes [`add_expiring_slow`](Self::add_expiring_slow).
    #[inline(always)]
    fn add_expiring(self, n: u64) {
        let index = self.index();
        let want = stamp(self.generation(), epoch());
        if let Some(block) = self.core.shards.owned() {
            // SAFETY: a handle carries a generation only for a label set
            // with a label that expires (`with`), whose blocks have
            // `stamps = L::CARDINALITY` generation cells after the counts
            // (`Counter::new`), and `with` checked `index < L::CARDINALITY`.
            let cell = unsafe { block.cell_unchecked(self.core.stamps + index) };
            if cell.load(Ordering::Relaxed) == want {
                // SAFETY: as above.
                return unsafe { block.add_unchecked(index, n, Access::Owned) };
            }
        }
        self.add_expiring_slow(n)
    }

    /// [`add_expiring`](Self::add_expiring) otherwise: checks that the
    /// handle's value still holds its slot, marking it written in this
    /// epoch (else records into the overflow value, counted as
    /// `expired`), then writes as the block's sole writer, resetting the
    /// count first if the block last wrote this series under another
    /// generation.
    #[cold]
    #[inline(never)]
    fn add_expiring_slow(self, n: u64) {
        let Some(exp) = &self.core.expiring else {
            // A hand-written `LabelSet` with a generation but no expiring
            // label: nothing is reused, record plainly.
            return CounterRef::new(self.core, self.index(), 0).add(n);
        };
        // Read before the slot is marked: the stamp never claims a later
        // epoch than the mark.
        let epoch = epoch();
        if let Err(overflow) = exp.admit_record(self.index(), self.generation()) {
            return CounterRef::new(self.core, overflow, 0).add(n);
        }
        match self.core.shards.owned() {
            Some(block) => {
                add_generation(block, exp.series, self.index(), self.generation(), epoch, n)
            }
            None => self.add_expiring_cold(exp, epoch, n),
        }
    }

    /// [`add_expiring`](Self::add_expiring) on a thread's first write or
    /// past the owned range (the shared block: its writers of expiring
    /// series take a mutex, so each is the sole writer while it resets).
    #[cold]
    #[inline(never)]
    fn add_expiring_cold(self, exp: &Expiring, epoch: u32, n: u64) {
        let (block, access) = self.core.shards.block_cold();
        let _sole = (access == Access::Shared)
            .then(|| exp.shared.lock().unwrap_or_else(|e| e.into_inner()));
        add_generation(block, exp.series, self.index(), self.generation(), epoch, n)
    }

    /// [`add`](Self::add) on a thread's first write or past the owned range.
    #[cold]
    #[inline(never)]
    fn add_cold(self, n: u64) {
        let (block, access) = self.core.shards.block_cold();
        block.add(self.index(), n, access)
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
            .store(self.index(), 0, trace_id, span_id, n as f64);
    }

    /// The series' total: the sum of every thread's shard (for a value
    /// that expires, what was recorded under this handle's generation).
    pub fn get(self) -> u64 {
        if let Some(exp) = &self.core.expiring {
            return self.core.shards.blocks().fold(0u64, |sum, block| {
                let v = read_generation(block, exp.series, self.index(), self.generation() as u64);
                sum.wrapping_add(v.unwrap_or(0))
            });
        }
        self.core.shards.blocks().fold(0u64, |sum, block| {
            sum.wrapping_add(block.load(self.index()))
        })
    }
}

impl<L: LabelSet> Metric for Counter<L> {
    fn kind(&self) -> MetricKind {
        MetricKind::Counter
    }

    fn labels(&self) -> &'static LabelDesc {
        L::DESC
    }

    fn prefetch(&self, depth: usize) {
        // The table, then the cells: nothing lies deeper.
        if depth <= 1 {
            self.core.shards.prefetch(depth)
        }
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        // A family with a label that expires exposes no exemplars: one
        // kept from an evicted value would show under the next one.
        let exemplars = self.core.expiring.is_none();
        let series = self
            .values()
            .into_iter()
            .enumerate()
            .map(|(index, v)| Series {
                exemplars: if exemplars {
                    self.core.exemplars.read(index)
                } else {
                    Vec::new()
                },
                ..Series::new(index, Value::Counter(v))
            })
            .collect();
        Ok(Collected {
            series,
            clamped: 0,
            ..Default::default()
        })
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
        crate::label::refuse_expiring!(L, "FloatCounter");
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
            ..Default::default()
        })
    }
}

#[cfg(all(test, tally_loom))]
mod loom_tests {
    //! Slot reuse of an expiring label, model-checked:
    //! `RUSTFLAGS="--cfg tally_loom" cargo test -p tally-core --lib --release loom`.

    use super::*;
    use crate::admission::DynamicValues;
    use loom::sync::Arc;

    /// A writer records twice under value `a` (through the recording
    /// path's check, then as the block's owner) and then once under `b` if
    /// `b` was admitted; an evictor ends two exports and admits `b`,
    /// evicting `a` if it may; a reader takes names then numbers as a
    /// snapshot does. Whatever the interleaving, the total read under `b`
    /// never includes `a`'s increments: at most the one made under `b`,
    /// exactly it at the end if `b` was admitted and written.
    #[test]
    fn loom_evicted_value_increments_never_show_under_the_next() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let table: &'static DynamicValues =
                Box::leak(Box::new(DynamicValues::leaked_expiring("t", 1, 0)));
            let (o, a) = table.try_resolve_handle("a").unwrap();
            let block: Arc<Box<Cells>> = Arc::new(Cells::new(2));
            let expiry = table.expiry().unwrap();

            let writer = {
                let block = block.clone();
                loom::thread::spawn(move || {
                    // The record path: the stamp compare (fast), else the
                    // slot's mark and the owner's write.
                    let record = |o: usize, g: u32| {
                        let epoch = crate::admission::epoch();
                        if block.cell(1).load(Ordering::Relaxed) == stamp(g, epoch) {
                            block.add(0, 1, Access::Owned);
                            return true;
                        }
                        let marked = expiry.touch(o, g);
                        if marked {
                            add_generation(&block, 1, 0, g, epoch, 1);
                        }
                        marked
                    };
                    let mut under_b = 0;
                    for _ in 0..2 {
                        record(o, a);
                    }
                    if let Some((o, b)) = table.lookup_handle("b") {
                        if record(o, b) {
                            under_b = b;
                        }
                    }
                    under_b
                })
            };
            let evictor = loom::thread::spawn(move || {
                table.end_export();
                table.end_export();
                table.try_resolve_handle("b").ok()
            });
            // The reader: names (with generations), then the count.
            let names = table.expiring_names().unwrap();
            if let Some((g, name)) = &names[0] {
                if let Some(v) = read_generation(&block, 1, 0, *g as u64) {
                    if &**name == "b" {
                        assert!(v <= 1, "b read {v}: a's increments under b");
                    }
                }
            }
            let under_b = writer.join().unwrap();
            let admitted = evictor.join().unwrap();
            if let Some((_, b)) = admitted {
                let v = read_generation(&block, 1, 0, b as u64).unwrap_or(0);
                let want = u64::from(under_b == b);
                assert_eq!(v, want, "b's total is exactly what was recorded under b");
            }
        });
    }
}
