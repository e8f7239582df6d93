//! [`WindowedHistogram`]: HDR histograms per time slot, merged over the
//! window (slot counts are merged, quantiles are never averaged).

use std::marker::PhantomData;
use std::sync::Mutex;
use std::time::Duration;

use super::clock::{Clock, CoarseClock};
use super::ring::Ring;
use super::Window;
use crate::desc::MetricKind;
use crate::histogram::{
    Arena, HistogramConfig, HistogramConfigError, HistogramSnapshot, Recorder, SeriesSlot,
};
use crate::label::{LabelDesc, LabelSet};
use crate::lines::{Access, Lines};
use crate::metric::{CollectError, Collected, Metric};
use crate::sharded::Sharded;
use crate::snapshot::{Series, Value};

/// One shard: the ring header and, per slot and series, the histogram
/// cells (allocated on the series' first record in that slot, paged
/// like a plain histogram's, from the shard's arena, which drops after
/// the cells).
struct Shard {
    header: Lines,
    cells: Box<[SeriesSlot]>,
    arena: Arena,
}

crate::sharded::sized_block!(Shard, |shape| Shard {
    header: shape.header.fresh(),
    cells: (0..shape.cells.len())
        .map(|_| SeriesSlot::default())
        .collect(),
    arena: shape.arena.fresh(),
});

/// A family of HDR histograms over a sliding time window, one per label
/// set of `L`: "p99 latency over the last minute".
///
/// Each thread records into its own ring of per-slot HDR cells; a read
/// merges the slots of the window (exact counts, quantiles from the
/// merged cells). Exposed as a summary: window quantiles (the family's
/// configured quantiles, or p50/p90/p99/p999), count and sum.
pub struct WindowedHistogram<L: LabelSet = (), C: Clock = CoarseClock> {
    ring: Ring,
    window: Window,
    clock: C,
    recorder: Recorder,
    series: usize,
    shards: Sharded<Shard>,
    shared_lock: Mutex<()>,
    _labels: PhantomData<fn(L)>,
}

impl<L: LabelSet> WindowedHistogram<L> {
    /// A windowed histogram of the default configuration
    /// ([`HistogramConfig::seconds`]) on the default clock, as
    /// [`Histogram::new`](crate::Histogram::new).
    pub fn new(window: Window) -> Self {
        Self::with_config(window, HistogramConfig::default())
            .expect("the default histogram configuration is valid")
    }

    /// A windowed histogram with the given configuration, on the default
    /// clock, as [`Histogram::with_config`](crate::Histogram::with_config).
    pub fn with_config(
        window: Window,
        config: HistogramConfig,
    ) -> Result<Self, HistogramConfigError> {
        Self::with_clock(window, config, CoarseClock)
    }
}

impl<L: LabelSet, C: Clock> WindowedHistogram<L, C> {
    /// A windowed histogram reading `clock`.
    pub fn with_clock(
        window: Window,
        config: HistogramConfig,
        clock: C,
    ) -> Result<Self, HistogramConfigError> {
        crate::label::refuse_expiring!(L, "WindowedHistogram");
        let ring = window.ring(L::CARDINALITY);
        let recorder = Recorder::new(config)?;
        let arena = recorder.arena();
        Ok(WindowedHistogram {
            ring,
            window,
            clock,
            recorder,
            series: L::CARDINALITY,
            shards: Sharded::with_owned(
                crate::slot::histogram_shard_count(),
                Box::new(new_shard(ring, L::CARDINALITY, arena)),
            ),
            shared_lock: Mutex::new(()),
            _labels: PhantomData,
        })
    }

    /// The series for `labels`.
    #[inline(always)]
    pub fn with(&self, labels: L) -> WindowedHistogramRef<'_, L, C> {
        let index = labels.index();
        assert!(index < L::CARDINALITY, "LabelSet::index out of range");
        WindowedHistogramRef {
            histogram: self,
            index,
        }
    }

    /// The window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// The family's histogram configuration.
    pub fn config(&self) -> HistogramConfig {
        self.recorder.config
    }

    /// A snapshot with nothing recorded.
    fn empty_snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot::empty(self.recorder.layout, self.recorder.config)
    }

    /// Values clamped into range since start.
    pub fn clamped(&self) -> u64 {
        self.recorder.clamped()
    }

    /// Heap bytes held now: the shard table, every shard's ring and every
    /// allocated (slot, series) cell block.
    pub fn heap_bytes(&self) -> usize {
        let shards: usize = self
            .shards
            .all_blocks()
            .map(|s| {
                s.header.heap_bytes()
                    + std::mem::size_of_val(&*s.cells)
                    + s.arena.heap_bytes()
                    + s.cells.iter().map(SeriesSlot::heap_bytes).sum::<usize>()
            })
            .sum();
        shards + self.shards.table_bytes()
    }

    #[inline(always)]
    fn record_at(&self, index: usize, value: u64) {
        let prepared = self.recorder.prepare(value);
        let now = self.clock.now_nanos();
        match self.shards.block() {
            (shard, Access::Owned) => self.record_to(shard, now, index, prepared),
            (shard, Access::Shared) => {
                let _writer = self.shared_lock.lock().unwrap_or_else(|e| e.into_inner());
                self.record_to(shard, now, index, prepared)
            }
        }
    }

    /// Records in `now`'s slot of a shard the caller alone writes.
    #[inline(always)]
    fn record_to(&self, shard: &Shard, now: u64, index: usize, prepared: (u64, usize)) {
        let base = match self.ring.cached(&shard.header, now) {
            Some(base) => base,
            None => self.ring.advance(&shard.header, now, |slot| {
                let cells = &shard.cells[slot * self.series..][..self.series];
                for series in cells.iter().filter_map(SeriesSlot::get) {
                    series.zero();
                }
            }),
        };
        let cells = shard.cells[base + index].get_or_init(&self.recorder, &shard.arena);
        cells.record(prepared, Access::Owned, &shard.arena);
    }

    /// Series `index` merged over the window ending now, `None` if it has
    /// no data in the window.
    fn window_snapshot(&self, index: usize) -> Option<HistogramSnapshot> {
        let now = self.clock.now_nanos();
        let mut total = self.recorder.merge();
        for shard in self.shards.blocks() {
            let read = |slot: usize| {
                let mut merge = self.recorder.merge();
                if let Some(cells) = shard.cells[slot * self.series + index].get() {
                    merge.add(cells);
                }
                merge
            };
            self.ring
                .read(&shard.header, now, read, |merge| total.absorb(merge));
        }
        self.recorder.finish(total)
    }
}

fn new_shard(ring: Ring, series: usize, arena: Arena) -> Shard {
    Shard {
        header: ring.new_header(),
        cells: (0..ring.slots * series)
            .map(|_| SeriesSlot::default())
            .collect(),
        arena,
    }
}

impl<C: Clock> WindowedHistogram<(), C> {
    /// Records `value` in recording units (as [`Histogram::record`](crate::Histogram::record)).
    pub fn record(&self, value: u64) {
        self.with(()).record(value)
    }

    /// Records a value in exposed units (e.g. seconds as `f64`).
    pub fn record_f64(&self, value: f64) {
        self.with(()).record_f64(value)
    }

    /// Records a duration.
    pub fn record_duration(&self, duration: Duration) {
        self.with(()).record_duration(duration)
    }

    /// The window's merged histogram.
    pub fn snapshot(&self) -> HistogramSnapshot {
        self.with(()).snapshot()
    }
}

/// One series of a [`WindowedHistogram`].
pub struct WindowedHistogramRef<'a, L: LabelSet, C: Clock = CoarseClock> {
    histogram: &'a WindowedHistogram<L, C>,
    index: usize,
}

impl<L: LabelSet, C: Clock> Clone for WindowedHistogramRef<'_, L, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L: LabelSet, C: Clock> Copy for WindowedHistogramRef<'_, L, C> {}

impl<L: LabelSet, C: Clock> WindowedHistogramRef<'_, L, C> {
    /// Records `value` in recording units (clamped and counted if above
    /// the configured highest).
    #[inline(always)]
    pub fn record(self, value: u64) {
        self.histogram.record_at(self.index, value)
    }

    /// Records a duration, converted to the recording unit.
    pub fn record_duration(self, duration: Duration) {
        self.record(self.histogram.recorder.ticks_from_duration(duration))
    }

    /// Records a value in exposed units (negative and NaN: 0, clamped).
    pub fn record_f64(self, value: f64) {
        self.record(self.histogram.recorder.ticks_from_f64(value))
    }

    /// The series merged over the window ending now.
    pub fn snapshot(self) -> HistogramSnapshot {
        let recorder = &self.histogram.recorder;
        self.histogram
            .window_snapshot(self.index)
            .unwrap_or_else(|| HistogramSnapshot::empty(recorder.layout, recorder.config))
    }
}

impl<L: LabelSet, C: Clock> Metric for WindowedHistogram<L, C> {
    fn kind(&self) -> MetricKind {
        MetricKind::Summary
    }

    fn labels(&self) -> &'static LabelDesc {
        L::DESC
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        // Labeled families list the series that recorded something; an
        // unlabeled one is always listed (with zeros before its first
        // record), so scrapers see it from the start.
        let unlabeled = self.series == 1;
        let series = (0..self.series)
            .filter_map(|index| {
                let snap = self
                    .window_snapshot(index)
                    .or_else(|| unlabeled.then(|| self.empty_snapshot()))?;
                Some(Series::new(index, Value::Summary(Box::new(snap))))
            })
            .collect();
        Ok(Collected {
            series,
            clamped: self.clamped(),
            ..Default::default()
        })
    }
}
