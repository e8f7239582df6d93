//! A merged, point-in-time copy of one histogram series.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use super::config::HistogramConfig;
use super::layout::Layout;

/// One histogram series merged across threads.
///
/// Count and sum are exact; min and max are the lowest and highest values
/// of the outermost non-empty cells (within the precision). Quantiles, iteration and V2
/// serialization come from [`hdr`](Self::hdr), an `hdrhistogram::Histogram`
/// with the family's configuration, built on first use. Taken while
/// writers run, the fields may disagree by the records in flight; the
/// count always equals the sum of the cells.
#[derive(Clone, Debug)]
pub struct HistogramSnapshot {
    /// The family's layout and configuration and the buffer holding the
    /// cells from `first` on that can hold counts (those between the
    /// recorded min and max; every other cell is empty) at `range`:
    /// shared by the series of one collection, so a scrape allocates the
    /// cells of a family once, and a snapshot is small to move.
    cells: Arc<SharedCells>,
    range: Range<usize>,
    first: usize,
    count: u64,
    sum: u64,
    min: u64,
    max: u64,
    /// Boxed: most snapshots never build it, and a smaller snapshot is
    /// cheaper to move into its series.
    hdr: OnceLock<Box<hdrhistogram::Histogram<u64>>>,
}

/// What the snapshots of one collection share: the family's layout and
/// configuration, and one buffer of counts for all its series.
#[derive(Debug)]
pub(crate) struct SharedCells {
    pub(crate) layout: Layout,
    pub(crate) config: HistogramConfig,
    pub(crate) counts: Vec<u64>,
}

/// A non-empty cell of a snapshot: every value in `low..=high` (recording
/// units) counts here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HdrCell {
    /// Lowest value of the cell.
    pub low: u64,
    /// Highest value of the cell.
    pub high: u64,
    /// Values recorded in the cell.
    pub count: u64,
}

/// Old name of [`HdrCell`]: "bucket" now means only a classic `le`
/// bucket.
#[deprecated(since = "0.1.0", note = "use `HdrCell`")]
pub type Bucket = HdrCell;

impl HistogramSnapshot {
    /// A snapshot of cells `first..first + counts.len()`.
    pub(crate) fn new(
        layout: Layout,
        config: HistogramConfig,
        (first, counts): (usize, Vec<u64>),
        sum: u64,
        min: u64,
        max: u64,
    ) -> Self {
        let range = 0..counts.len();
        let count = counts.iter().sum();
        let cells = Arc::new(SharedCells {
            layout,
            config,
            counts,
        });
        Self::shared((first, cells, range), (sum, count), min, max)
    }

    /// A snapshot of cells `first..first + range.len()`, whose counts
    /// are `buffer[range]` and add up to `count`.
    pub(crate) fn shared(
        (first, cells, range): (usize, Arc<SharedCells>, Range<usize>),
        (sum, count): (u64, u64),
        min: u64,
        max: u64,
    ) -> Self {
        debug_assert_eq!(count, cells.counts[range.clone()].iter().sum::<u64>());
        HistogramSnapshot {
            cells,
            range,
            first,
            count,
            sum,
            min: if count == 0 { 0 } else { min },
            max,
            hdr: OnceLock::new(),
        }
    }

    /// The cells from `first` on.
    fn counts(&self) -> &[u64] {
        &self.cells.counts[self.range.clone()]
    }

    fn layout(&self) -> &Layout {
        &self.cells.layout
    }

    pub(crate) fn empty(layout: Layout, config: HistogramConfig) -> Self {
        Self::new(layout, config, (0, Vec::new()), 0, 0, 0)
    }

    /// The family's configuration (range, precision, scale).
    pub fn config(&self) -> HistogramConfig {
        self.cells.config
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sum of the values recorded, in recording units (after clamping).
    pub fn sum(&self) -> u64 {
        self.sum
    }

    /// Sum in exposed units (`sum / scale`, e.g. seconds).
    pub fn sum_scaled(&self) -> f64 {
        self.sum as f64 / self.cells.config.scale
    }

    /// Smallest value recorded, to the precision: the lowest value of the
    /// lowest non-empty cell (0 when empty).
    pub fn min(&self) -> u64 {
        self.min
    }

    /// Largest value recorded, to the precision: the highest value of the
    /// highest non-empty cell, at most the configured highest (0 when
    /// empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Mean of the values recorded (0 when empty), in recording units.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// The value at quantile `q` (in `0..=1`), within the configured
    /// precision, in recording units: what [`hdr`](Self::hdr)'s
    /// `value_at_quantile` gives, computed from the cells directly.
    pub fn value_at_quantile(&self, q: f64) -> u64 {
        let mut value = [0];
        self.values_at_quantiles(&[q], &mut value);
        value[0]
    }

    /// The values at the ascending quantiles `qs`, into `out`, in one pass
    /// over the non-empty cells. The value at `q` is the first cell where
    /// the running count reaches `ceil(q * count)` (at least 1), reported
    /// at its lowest value for `q = 0` and otherwise at the value that
    /// stands for the cell (see [`hdr`](Self::hdr)); 0 when empty.
    pub fn values_at_quantiles(&self, qs: &[f64], out: &mut [u64]) {
        debug_assert!(qs.windows(2).all(|w| w[0] <= w[1]), "ascending quantiles");
        out.fill(0);
        let rank = |q: f64| ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut next = 0;
        let mut target = qs.first().map_or(u64::MAX, |&q| rank(q));
        let mut running = 0u64;
        for (i, &count) in self.counts().iter().enumerate() {
            running += count;
            if running < target {
                continue;
            }
            while let Some(&q) = qs.get(next) {
                if running < rank(q) {
                    target = rank(q);
                    break;
                }
                // Only a cell a quantile lands in is turned into a range.
                let (low, width) = self.layout().range(self.first + i);
                let cell = HdrCell {
                    low,
                    high: low + (width - 1),
                    count,
                };
                out[next] = if q <= 0.0 {
                    cell.low
                } else {
                    self.stands_for(&cell)
                };
                next += 1;
            }
            if next == qs.len() {
                return;
            }
        }
    }

    /// The value that stands for a cell in quantiles: its highest where
    /// the cells are HdrHistogram's own (a precision in digits), else its
    /// midpoint (rounded down), so a quantile is within half a cell.
    fn stands_for(&self, cell: &HdrCell) -> u64 {
        let config = &self.cells.config;
        if super::config::hdr_bits(config.precision_digits()) > config.precision_bits() {
            cell.low + (cell.high - cell.low).div_ceil(2).saturating_sub(1)
        } else {
            cell.high
        }
    }

    /// Values at or below `value` (in recording units), counting the
    /// whole cell that holds `value`, as `hdrhistogram`'s `count_between`.
    pub fn count_at_or_below(&self, value: u64) -> u64 {
        let end = self.end_of(value);
        self.counts()[..end].iter().sum()
    }

    /// The cumulative count at each of the ascending `thresholds`
    /// (recording units), as [`count_at_or_below`](Self::count_at_or_below)
    /// gives them, in one pass over the cells: each cell is summed once,
    /// and none after the last value. This is what classic `le` buckets
    /// are made of.
    pub fn cumulative_counts<'a>(
        &'a self,
        thresholds: &'a [u64],
    ) -> impl Iterator<Item = u64> + 'a {
        let (mut from, mut total) = (0, 0u64);
        thresholds.iter().map(move |&t| {
            if total < self.count {
                let end = self.end_of(t);
                if end > from {
                    total += self.counts()[from..end].iter().sum::<u64>();
                    from = end;
                }
            }
            total
        })
    }

    /// How many of `counts` lie at or below the cell holding `value`.
    fn end_of(&self, value: u64) -> usize {
        let layout = self.layout();
        let cell = layout.index(value.min(layout.highest));
        (cell + 1).saturating_sub(self.first).min(self.range.len())
    }

    /// The non-empty HDR cells, by ascending value.
    pub fn cells(&self) -> impl Iterator<Item = HdrCell> + '_ {
        self.counts()
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, &count)| {
                let (low, width) = self.layout().range(self.first + i);
                HdrCell {
                    low,
                    high: low + (width - 1),
                    count,
                }
            })
    }

    /// Old name of [`cells`](Self::cells).
    #[deprecated(since = "0.1.0", note = "use `cells`")]
    pub fn buckets(&self) -> impl Iterator<Item = HdrCell> + '_ {
        self.cells()
    }

    /// The series as an `hdrhistogram::Histogram` with the family's bounds
    /// and precision (in digits, at least as fine as the family's cells):
    /// for quantiles, iteration, merging with histograms from elsewhere,
    /// and V2 serialization.
    ///
    /// Each cell's count is recorded at the value that stands for it in
    /// [`values_at_quantiles`](Self::values_at_quantiles): its midpoint,
    /// whose equivalence range in the (finer) `hdrhistogram` ends there, so
    /// the crate's quantiles equal this snapshot's; where the family's
    /// cells are the crate's (a precision given in digits) any value of
    /// the cell is the cell.
    pub fn hdr(&self) -> &hdrhistogram::Histogram<u64> {
        self.hdr.get_or_init(|| {
            let config = &self.cells.config;
            let mut hdr = hdrhistogram::Histogram::new_with_bounds(
                config.lowest,
                config.highest,
                config.precision_digits(),
            )
            .expect("the configuration was validated");
            for cell in self.cells() {
                hdr.record_n(self.stands_for(&cell), cell.count)
                    .expect("every cell lies within the histogram's range");
            }
            Box::new(hdr)
        })
    }
}
