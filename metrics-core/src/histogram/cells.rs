//! The cells of one histogram series in one shard, and what recording,
//! clamping, resetting and merging them takes. Shared by [`Histogram`]
//! and the windowed histogram.
//!
//! [`Histogram`]: super::Histogram

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use super::{HistogramConfig, HistogramConfigError, HistogramSnapshot, Layout};
use crate::lines::{Access, Lines};

// Sum, min and max on the first line, the HDR counts from the second on.
const SUM: usize = 0;
const MIN: usize = 1;
const MAX: usize = 2;
const COUNTS: usize = 16;

/// A histogram family's configuration, layout and clamp counter: turns
/// raw inputs into a cell index and records into series cells.
pub(crate) struct Recorder {
    pub(crate) layout: Layout,
    pub(crate) config: HistogramConfig,
    clamped: AtomicU64,
}

impl Recorder {
    pub(crate) fn new(config: HistogramConfig) -> Result<Self, HistogramConfigError> {
        Ok(Recorder {
            layout: Layout::new(&config)?,
            config,
            clamped: AtomicU64::new(0),
        })
    }

    /// Values clamped into range since start.
    pub(crate) fn clamped(&self) -> u64 {
        self.clamped.load(Relaxed)
    }

    #[cold]
    #[inline(never)]
    fn clamp(&self, clamped_to: u64) -> u64 {
        self.clamped.fetch_add(1, Relaxed);
        clamped_to
    }

    /// `value` clamped into range (counted if it was out of it), and the
    /// cell it goes to.
    #[inline(always)]
    pub(crate) fn prepare(&self, value: u64) -> (u64, usize) {
        let value = if value > self.layout.highest {
            self.clamp(self.layout.highest)
        } else {
            value
        };
        (value, COUNTS + self.layout.index(value))
    }

    /// A duration in recording units.
    pub(crate) fn ticks_from_duration(&self, duration: Duration) -> u64 {
        if self.config.scale == 1e9 {
            u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
        } else {
            self.ticks_from_f64(duration.as_secs_f64())
        }
    }

    /// A value in exposed units in recording units; negative and NaN
    /// values become 0 and are counted as clamped (`+inf` saturates and
    /// is clamped by [`prepare`](Self::prepare)).
    pub(crate) fn ticks_from_f64(&self, value: f64) -> u64 {
        let ticks = value * self.config.scale;
        if ticks >= 0.0 {
            ticks.round() as u64
        } else {
            self.clamp(0)
        }
    }

    /// Fresh (empty) cells for one series.
    #[cold]
    #[inline(never)]
    pub(crate) fn new_cells(&self) -> Lines {
        let cells = Lines::new(COUNTS + self.layout.len);
        cells.store(MIN, u64::MAX);
        cells
    }

    /// Empties cells for reuse; only their writer calls this.
    pub(crate) fn zero_cells(&self, cells: &Lines) {
        for i in 0..COUNTS + self.layout.len {
            cells.store(i, 0);
        }
        cells.store(MIN, u64::MAX);
    }

    /// A merge of series cells with this family's layout.
    pub(crate) fn merge(&self) -> Merge {
        Merge {
            layout: self.layout,
            counts: vec![0; self.layout.len],
            sum: 0,
            min: u64::MAX,
            max: 0,
            seen: false,
        }
    }

    /// The snapshot of a merge, `None` if it merged nothing.
    pub(crate) fn finish(&self, merge: Merge) -> Option<HistogramSnapshot> {
        merge.seen.then(|| {
            HistogramSnapshot::new(
                self.layout,
                self.config,
                merge.counts,
                merge.sum,
                merge.min,
                merge.max,
            )
        })
    }
}

/// Records a prepared value into one series' cells.
#[inline(always)]
pub(crate) fn record(cells: &Lines, (value, cell): (u64, usize), access: Access) {
    cells.add(cell, 1, access);
    cells.add(SUM, value, access);
    cells.min(MIN, value, access);
    cells.max(MAX, value, access);
}

/// The running sum of several shards' (or buckets') cells of one series.
pub(crate) struct Merge {
    layout: Layout,
    counts: Vec<u64>,
    sum: u64,
    min: u64,
    max: u64,
    seen: bool,
}

impl Merge {
    /// Adds one series' cells. Only the cells between those of its min
    /// and max can hold counts, so only they are read (a value recorded
    /// while this runs may land outside them: it is in flight, and the
    /// next snapshot has it).
    pub(crate) fn add(&mut self, cells: &Lines) {
        self.seen = true;
        let (min, max) = (cells.load(MIN), cells.load(MAX));
        if min <= max {
            let (first, last) = (self.layout.index(min), self.layout.index(max));
            for (i, count) in self
                .counts
                .iter_mut()
                .enumerate()
                .take(last + 1)
                .skip(first)
            {
                *count += cells.load(COUNTS + i);
            }
        }
        self.sum = self.sum.wrapping_add(cells.load(SUM));
        self.min = self.min.min(min);
        self.max = self.max.max(max);
    }

    /// Adds another merge.
    pub(crate) fn absorb(&mut self, other: Merge) {
        if !other.seen {
            return;
        }
        self.seen = true;
        for (c, o) in self.counts.iter_mut().zip(other.counts) {
            *c += o;
        }
        self.sum = self.sum.wrapping_add(other.sum);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}
