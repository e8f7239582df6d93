//! HDR histogram families: lock-free recording into per-thread atomic
//! arrays with the HdrHistogram layout; merging, quantiles and
//! serialization through the `hdrhistogram` crate at snapshot time.

mod cells;
mod config;
mod layout;
pub(crate) mod snapshot;
mod table;

use std::marker::PhantomData;
use std::time::Duration;

pub(crate) use cells::{Arena, Recorder, SeriesCells, SeriesSlot};
use table::SeriesTable;

pub use config::{HistogramConfig, HistogramConfigError, DEFAULT_SUMMARY_QUANTILES};
pub(crate) use layout::Layout;
#[allow(deprecated)]
pub use snapshot::Bucket;
pub use snapshot::{HdrCell, HistogramSnapshot};

use crate::desc::MetricKind;
use crate::exemplar::Exemplars;
use crate::expiring::{expiring_limits, stamp, Expiring, PackedIndex};
use crate::label::{LabelDesc, LabelSet};
use crate::lines::Access;
use crate::metric::{CollectError, Collected, Metric};
use crate::sharded::Sharded;
use crate::snapshot::{Series, Value};

/// A family of HDR histograms, one per label set of `L`.
///
/// Recording costs a few plain loads and stores into the calling thread's
/// own cells: no lock, no locked instruction, no allocation after a
/// thread's first record into a page of a series. Values above the
/// configured highest are clamped to it and counted
/// ([`clamped`](Self::clamped)); nothing is dropped.
///
/// # Memory
///
/// Counts are 32-bit cells in pages of 32 (128 bytes), allocated where
/// values land, so a series costs what its values span, not the
/// configured range: at the default precision (32 cells per power of
/// two) a series whose values span 50 us..500 ms holds 14 pages, about
/// 2.2 KB per writer thread with its directory. Pages and directories
/// are carved from slabs of up to 4 KiB per thread block, so the
/// process' resident memory grows by what [`heap_bytes`](Self::heap_bytes)
/// counts (no per-page allocation header or alignment padding). A cell
/// that reaches 2^31 spills into 64-bit cells allocated for its series
/// on the first spill, so counts never wrap. Threads past the first
/// `H = clamp(cores, 4, 64)` thread slots share one block (updated with
/// atomic read-modify-writes), and a slot's block passes to the next
/// thread that takes the slot, so memory never grows with threads that
/// came and went. With `S` series and `P` pages in the configured range
/// (`P = 38` for the default 1 ns..1 h), the worst case, every page of
/// every series written through every slot, every series spilled, and
/// every slab left as empty as it can be, is
/// [`memory_bound`](Self::memory_bound):
///
/// `8 * (C + 1) + 56 * H + (H + 1) * (S * (112 + 552 * P) + A)`, where
/// `C = clamp(4 * cores, 16, 256)` (the thread-slot table every family
/// shares the shape of) and
/// `A = max(4096, 2 * max(40 + 8 * P, 512) + 48)` rounded up to 128. A
/// family with a label that expires adds a generation cell per series
/// per block: `(H + 1) * 8 * S` more.
///
/// # Labels that expire
///
/// One label of `L` may be a [`dynamic_label!`](crate::dynamic_label!)
/// declared with `idle_secs`: its values are evicted when idle and their
/// slots reused. A value admitted into a reused slot starts from an empty
/// histogram (nothing recorded under the value before it is ever merged
/// into it), a handle kept past its value's eviction records into the
/// label's overflow series (counted as `reason="expired"`), and the
/// family exposes no exemplars. Each shard block then holds a generation
/// cell per series (`8 * S` bytes more per block).
///
/// ```
/// use tally_core::Histogram;
/// use std::time::Duration;
/// let latency: Histogram = Histogram::new();
/// latency.record_duration(Duration::from_micros(250));
/// let snap = latency.snapshot();
/// assert_eq!(snap.count(), 1);
/// assert!((snap.value_at_quantile(0.5) as f64 - 250_000.0).abs() <= 250_000.0 / 64.0);
/// ```
pub struct Histogram<L: LabelSet = ()> {
    core: Core,
    _labels: PhantomData<fn(L)>,
}

/// The label-independent part of a histogram family.
struct Core {
    recorder: Recorder,
    series: usize,
    shards: Sharded<SeriesTable>,
    exemplars: Exemplars,
    /// For a family with a label that expires: where that label sits.
    /// Each shard block then holds a generation cell per series (see
    /// [`crate::expiring`] and `table.rs`).
    expiring: Option<Expiring>,
}

/// Exemplar slots per histogram series: one per eighth of the `u64` range
/// of powers of two, so buckets far apart keep exemplars of their own.
const EXEMPLAR_SLOTS: usize = 8;

impl<L: LabelSet> Histogram<L> {
    /// A family with the default configuration ([`HistogramConfig::seconds`]).
    pub fn new() -> Self {
        Self::with_config(HistogramConfig::default()).expect("the default configuration is valid")
    }

    /// A family with the given range, precision and scale.
    pub fn with_config(config: HistogramConfig) -> Result<Self, HistogramConfigError> {
        expiring_limits!(L, "Histogram");
        let recorder = Recorder::new(config)?;
        let arena = recorder.arena();
        let expiring = Expiring::of::<L>();
        // Generation cells for every label set with a label that expires,
        // even if its hand-written descriptor names none: the record path
        // reads them for any handle with a generation.
        let stamped = L::EXPIRING != 0 || expiring.is_some();
        let table = SeriesTable::new(L::CARDINALITY, stamped, arena);
        Ok(Histogram {
            core: Core {
                recorder,
                series: L::CARDINALITY,
                shards: Sharded::with_owned(crate::slot::histogram_shard_count(), Box::new(table)),
                exemplars: Exemplars::new(L::CARDINALITY, EXEMPLAR_SLOTS),
                expiring,
            },
            _labels: PhantomData,
        })
    }

    /// The series for `labels`.
    #[inline(always)]
    pub fn with(&self, labels: L) -> HistogramRef<'_> {
        let index = labels.index();
        assert!(index < L::CARDINALITY, "LabelSet::index out of range");
        // Only a label set with a label that expires has generation cells
        // for a generation to be checked against.
        let generation = match L::EXPIRING {
            0 => 0,
            _ => labels.generation(),
        };
        HistogramRef::new(&self.core, index, generation)
    }

    /// The family's configuration.
    pub fn config(&self) -> HistogramConfig {
        self.core.recorder.config
    }

    /// How many recorded values were out of range and clamped, since start.
    pub fn clamped(&self) -> u64 {
        self.core.recorder.clamped()
    }

    /// A snapshot with nothing recorded.
    fn empty_snapshot(&self) -> HistogramSnapshot {
        let recorder = &self.core.recorder;
        HistogramSnapshot::empty(recorder.layout, recorder.config)
    }

    /// The most heap bytes this family can ever hold: every page of every
    /// series written through every owned slot and the shared block (the
    /// formula under "Memory" above). [`heap_bytes`](Self::heap_bytes)
    /// never exceeds it.
    pub fn memory_bound(&self) -> usize {
        let owned = crate::slot::histogram_shard_count();
        // A family with a label that expires: a generation cell per
        // series per block.
        let generations =
            self.core.shards.shape().generations.len() * size_of::<crate::sync::AtomicU64>();
        8 * (crate::slot::shard_count() + 1)
            + owned * size_of::<SeriesTable>()
            + (owned + 1) * (self.core.recorder.block_bound(self.core.series) + generations)
    }

    /// Heap bytes held now: the shard table and every allocated series
    /// and page (see [`memory_bound`](Self::memory_bound)).
    pub fn heap_bytes(&self) -> usize {
        let shards = &self.core.shards;
        shards
            .all_blocks()
            .map(SeriesTable::heap_bytes)
            .sum::<usize>()
            + shards.table_bytes()
    }
}

impl Histogram<()> {
    /// Records `value` (in recording units, e.g. nanoseconds).
    #[inline(always)]
    pub fn record(&self, value: u64) {
        self.with(()).record(value)
    }

    /// Records a duration, converted to the recording unit.
    pub fn record_duration(&self, duration: Duration) {
        self.with(()).record_duration(duration)
    }

    /// Records `value` with an exemplar; see
    /// [`HistogramRef::record_with_exemplar`].
    pub fn record_with_exemplar(&self, value: u64, trace_id: &str, span_id: &str) {
        self.with(()).record_with_exemplar(value, trace_id, span_id)
    }

    /// Records a duration with an exemplar; see
    /// [`HistogramRef::record_duration_with_exemplar`].
    pub fn record_duration_with_exemplar(&self, duration: Duration, trace_id: &str, span_id: &str) {
        self.with(())
            .record_duration_with_exemplar(duration, trace_id, span_id)
    }

    /// Records a value in exposed units (e.g. seconds as `f64`).
    pub fn record_f64(&self, value: f64) {
        self.with(()).record_f64(value)
    }

    /// Records `value` with coordinated-omission correction; see
    /// [`HistogramRef::record_correct`].
    pub fn record_correct(&self, value: u64, expected_interval: u64) {
        self.with(()).record_correct(value, expected_interval)
    }

    /// Merges every thread's cells into one snapshot.
    pub fn snapshot(&self) -> HistogramSnapshot {
        self.with(()).snapshot()
    }
}

impl<L: LabelSet> Default for Histogram<L> {
    fn default() -> Self {
        Self::new()
    }
}

/// One series of a [`Histogram`], from [`Histogram::with`].
#[derive(Clone, Copy)]
pub struct HistogramRef<'a> {
    core: &'a Core,
    /// The series index and its expiring label's generation.
    index: PackedIndex,
}

impl<'a> HistogramRef<'a> {
    /// The handle of series `index` recorded under `generation`.
    #[inline(always)]
    fn new(core: &'a Core, index: usize, generation: u32) -> Self {
        HistogramRef {
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

    /// Records `value` (in recording units, e.g. nanoseconds). A value
    /// above the configured highest is recorded as the highest and counted
    /// as clamped.
    ///
    /// For a value of a label that expires, recorded through a handle
    /// whose value was evicted meanwhile, the value goes to the label's
    /// overflow series (counted as `reason="expired"`).
    #[inline(always)]
    pub fn record(self, value: u64) {
        self.record_prepared(self.core.recorder.prepare(value))
    }

    /// [`record`](Self::record) of a value already clamped and placed.
    #[inline(always)]
    fn record_prepared(self, prepared: (u64, usize)) {
        // A constant 0 for labels that never expire: the branch folds away.
        if self.generation() != 0 {
            return self.record_expiring(prepared);
        }
        let core = self.core;
        // The hot path: this thread's block, the series and the page exist.
        if let Some(shard) = core.shards.owned() {
            // SAFETY: every table has `L::CARDINALITY` slots and `with`
            // checked `index < L::CARDINALITY`.
            let slot = unsafe { shard.slots.get_unchecked(self.index()) };
            if let Some(cells) = slot.get() {
                if cells.try_record(prepared) {
                    return;
                }
            }
        }
        self.record_cold(prepared)
    }

    /// [`record`](Self::record) when a block, series or page is still to
    /// be allocated, or past the owned range.
    #[cold]
    #[inline(never)]
    fn record_cold(self, prepared: (u64, usize)) {
        let core = self.core;
        let (shard, access) = core.shards.block();
        shard.slots[self.index()]
            .get_or_init(&core.recorder, &shard.arena)
            .record(prepared, access, &shard.arena)
    }

    /// [`record`](Self::record) for a series of a value that may expire,
    /// when nothing changed since this thread's last record in this export
    /// epoch: the thread's block holds the series' stamp for the handle's
    /// generation and the current epoch ([`stamp`]). Then it is the usual
    /// owned record after one compare;
    /// anything else (a new epoch, a new block, series or page, another
    /// generation, an evicted value) takes
    /// [`record_expiring_slow`](Self::record_expiring_slow).
    #[inline(always)]
    fn record_expiring(self, prepared: (u64, usize)) {
        let core = self.core;
        let index = self.index();
        let want = stamp(self.generation(), crate::admission::epoch());
        if let Some(shard) = core.shards.owned() {
            // SAFETY: a handle carries a generation only for a label set
            // with a label that expires (`with`), whose blocks have
            // `L::CARDINALITY` slots and generation cells
            // (`Histogram::with_config`), and `with` checked
            // `index < L::CARDINALITY`.
            let cell = unsafe { shard.generations.get_unchecked(index) };
            if cell.load(crate::sync::Ordering::Relaxed) == want {
                // SAFETY: as above.
                let slot = unsafe { shard.slots.get_unchecked(index) };
                if let Some(cells) = slot.get() {
                    if cells.try_record(prepared) {
                        return;
                    }
                }
            }
        }
        self.record_expiring_slow(prepared)
    }

    /// [`record_expiring`](Self::record_expiring) otherwise: checks that
    /// the handle's value still holds its slot, marking it written in
    /// this epoch (else records into the overflow series, counted as
    /// `expired`), then records as the block's sole writer of the series
    /// (past the owned range, holding the family's shared-block mutex),
    /// zeroing the series' cells first if the block last wrote them under
    /// another generation.
    #[cold]
    #[inline(never)]
    fn record_expiring_slow(self, prepared: (u64, usize)) {
        let core = self.core;
        let Some(exp) = &core.expiring else {
            // A hand-written `LabelSet` with a generation but no expiring
            // label: nothing is reused, record plainly.
            return HistogramRef::new(core, self.index(), 0).record_prepared(prepared);
        };
        // Read before the slot is marked: the stamp never claims a later
        // epoch than the mark.
        let epoch = crate::admission::epoch();
        if let Err(overflow) = exp.admit_record(self.index(), self.generation()) {
            return HistogramRef::new(core, overflow, 0).record_prepared(prepared);
        }
        let (shard, access) = core.shards.block();
        let _sole = (access == Access::Shared)
            .then(|| exp.shared.lock().unwrap_or_else(|e| e.into_inner()));
        let stamp = (self.generation(), epoch);
        shard.record_generation(&core.recorder, self.index(), stamp, prepared, access)
    }

    /// Records `value` and keeps an exemplar of it: the trace (and span,
    /// or `""`) it was observed in, latest wins per range of values. Exposed
    /// on the classic bucket that holds it (OpenMetrics, protobuf) and on
    /// native histograms; ids outside [`is_exemplar_id`](crate::is_exemplar_id)'s
    /// set and over-long labels are counted in
    /// [`exemplars_rejected`](crate::exemplars_rejected) and dropped (the
    /// value is kept). [`record`](Self::record) never pays for exemplars.
    pub fn record_with_exemplar(self, value: u64, trace_id: &str, span_id: &str) {
        self.record(value);
        let recorder = &self.core.recorder;
        let value = value.min(recorder.layout.highest);
        let slot = (64 - value.leading_zeros() as usize) * EXEMPLAR_SLOTS / 65;
        let exposed = value as f64 / recorder.config.scale;
        self.core
            .exemplars
            .store(self.index(), slot, trace_id, span_id, exposed);
    }

    /// [`record_with_exemplar`](Self::record_with_exemplar) of a duration.
    pub fn record_duration_with_exemplar(self, duration: Duration, trace_id: &str, span_id: &str) {
        let ticks = self.core.recorder.ticks_from_duration(duration);
        self.record_with_exemplar(ticks, trace_id, span_id)
    }

    /// Records a duration, converted to the recording unit (nanoseconds
    /// with the default configuration).
    pub fn record_duration(self, duration: Duration) {
        self.record(self.core.recorder.ticks_from_duration(duration))
    }

    /// Records a value in exposed units (e.g. `0.25` seconds). Negative and
    /// NaN values are recorded as 0 and counted as clamped.
    pub fn record_f64(self, value: f64) {
        self.record(self.core.recorder.ticks_from_f64(value))
    }

    /// Records `value`, and if it exceeds `expected_interval` also the
    /// values a fixed-rate sampler would have seen while this one was
    /// stalled (`value - interval`, `value - 2*interval`, ... down to
    /// `interval`): HdrHistogram's correction for coordinated omission.
    /// An interval of 0 records `value` alone. It records about
    /// `value / expected_interval` values, so pick an interval on the scale
    /// of the values (the sampler's period), not 1 ns.
    pub fn record_correct(self, value: u64, expected_interval: u64) {
        self.record(value);
        if expected_interval == 0 {
            return;
        }
        let mut missing = value
            .min(self.core.recorder.layout.highest)
            .saturating_sub(expected_interval);
        while missing >= expected_interval {
            self.record(missing);
            missing -= expected_interval;
        }
    }

    /// Merges every thread's cells of this series into one snapshot (for
    /// a value that expires, what was recorded under this handle's
    /// generation).
    pub fn snapshot(self) -> HistogramSnapshot {
        let recorder = &self.core.recorder;
        let snapshot = match &self.core.expiring {
            Some(_) => {
                let blocks: Vec<&SeriesTable> = self.core.shards.blocks().collect();
                let generation = u64::from(self.generation());
                self.core
                    .merge_generation(&blocks, self.index(), generation)
            }
            None => self.core.snapshot(self.index()),
        };
        snapshot.unwrap_or_else(|| HistogramSnapshot::empty(recorder.layout, recorder.config))
    }
}

impl Core {
    /// The merged series, `None` if no thread ever recorded into it.
    fn snapshot(&self, index: usize) -> Option<HistogramSnapshot> {
        self.recorder
            .snapshots(1, |_| self.series_cells(index))
            .pop()
            .flatten()
    }

    /// Series `index` merged over the `blocks` that wrote it under
    /// `generation`, `None` if none did.
    fn merge_generation(
        &self,
        blocks: &[&SeriesTable],
        index: usize,
        generation: u64,
    ) -> Option<HistogramSnapshot> {
        let mut total = self.recorder.merge();
        for block in blocks {
            if let Some(merge) = block.read_generation(&self.recorder, index, generation) {
                total.absorb(merge);
            }
        }
        self.recorder.finish(total)
    }

    /// Every series merged, `None` for those no thread recorded into. For
    /// a family with a label that expires, a series merges only what was
    /// recorded under the value now holding its slot.
    fn snapshots(&self) -> Vec<Option<HistogramSnapshot>> {
        // The blocks written so far, listed once rather than per series.
        let blocks: Vec<&SeriesTable> = self.shards.blocks().collect();
        if let Some(exp) = &self.expiring {
            return (0..self.series)
                .map(|index| self.merge_generation(&blocks, index, exp.current(index)))
                .collect();
        }
        self.recorder.snapshots(self.series, |index| {
            blocks
                .iter()
                .filter_map(move |shard| shard.slots[index].get())
        })
    }

    /// Calls `f` with every series' cells in every block written so far.
    fn each_series_cells(&self, mut f: impl FnMut(SeriesCells<'_>)) {
        for block in self.shards.blocks() {
            block
                .slots
                .iter()
                .filter_map(SeriesSlot::get)
                .for_each(&mut f);
        }
    }

    /// Series `index`'s cells in each shard that has them.
    fn series_cells(&self, index: usize) -> impl Iterator<Item = SeriesCells<'_>> {
        self.shards
            .blocks()
            .filter_map(move |shard| shard.slots[index].get())
    }
}

impl<L: LabelSet> Metric for Histogram<L> {
    fn kind(&self) -> MetricKind {
        MetricKind::Histogram
    }

    fn labels(&self) -> &'static LabelDesc {
        L::DESC
    }

    fn prefetch(&self, depth: usize) {
        // The table, the blocks, their series slots; then each series'
        // directory and pages (asked for while the family before is
        // encoded, which takes longer than they take to arrive).
        let recorder = &self.core.recorder;
        match depth {
            0..=2 => self.core.shards.prefetch(depth),
            3 => self
                .core
                .each_series_cells(|cells| recorder.prefetch(cells, false)),
            4 => self
                .core
                .each_series_cells(|cells| recorder.prefetch(cells, true)),
            _ => {}
        }
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        // Labeled families list the series that recorded something; an
        // unlabeled one is always listed (with zeros before its first
        // record), so scrapers see it from the start.
        let unlabeled = self.core.series == 1;
        // A family with a label that expires exposes no exemplars: one
        // kept from an evicted value would show under the next one.
        let exemplars = self.core.expiring.is_none();
        let series = self
            .core
            .snapshots()
            .into_iter()
            .enumerate()
            .filter_map(|(index, snap)| {
                let snap = snap.or_else(|| unlabeled.then(|| self.empty_snapshot()))?;
                Some(Series {
                    exemplars: match exemplars {
                        true => self.core.exemplars.read(index),
                        false => Vec::new(),
                    },
                    ..Series::new(index, Value::Histogram(Box::new(snap)))
                })
            })
            .collect();
        Ok(Collected {
            series,
            clamped: self.clamped(),
            ..Default::default()
        })
    }
}

crate::metric::debug_via_collect!(Histogram);
