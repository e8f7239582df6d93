//! A merged, point-in-time copy of one histogram series.

use std::sync::OnceLock;

use super::{HistogramConfig, Layout};

/// One histogram series merged across threads.
///
/// Count, sum, min and max are exact. Quantiles, iteration and V2
/// serialization come from [`hdr`](Self::hdr), an `hdrhistogram::Histogram`
/// with the family's configuration, built on first use. Taken while
/// writers run, the fields may disagree by the records in flight; the
/// count always equals the sum of the cells.
#[derive(Clone, Debug)]
pub struct HistogramSnapshot {
    layout: Layout,
    config: HistogramConfig,
    counts: Box<[u64]>,
    count: u64,
    sum: u64,
    min: u64,
    max: u64,
    hdr: OnceLock<hdrhistogram::Histogram<u64>>,
}

/// A non-empty cell of a snapshot: every value in `low..=high` (recording
/// units) counts here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// Lowest value of the cell.
    pub low: u64,
    /// Highest value of the cell.
    pub high: u64,
    /// Values recorded in the cell.
    pub count: u64,
}

impl HistogramSnapshot {
    pub(crate) fn new(
        layout: Layout,
        config: HistogramConfig,
        counts: Vec<u64>,
        sum: u64,
        min: u64,
        max: u64,
    ) -> Self {
        let count = counts.iter().sum();
        HistogramSnapshot {
            layout,
            config,
            counts: counts.into_boxed_slice(),
            count,
            sum,
            min: if count == 0 { 0 } else { min },
            max,
            hdr: OnceLock::new(),
        }
    }

    pub(crate) fn empty(layout: Layout, config: HistogramConfig) -> Self {
        Self::new(layout, config, vec![0; layout.len], 0, 0, 0)
    }

    /// The family's configuration (range, precision, scale).
    pub fn config(&self) -> HistogramConfig {
        self.config
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
        self.sum as f64 / self.config.scale
    }

    /// Smallest value recorded (0 when empty).
    pub fn min(&self) -> u64 {
        self.min
    }

    /// Largest value recorded (0 when empty).
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
    /// precision, in recording units.
    pub fn value_at_quantile(&self, q: f64) -> u64 {
        self.hdr().value_at_quantile(q)
    }

    /// Values at or below `value` (in recording units), counting the
    /// whole cell that holds `value`, as `hdrhistogram`'s `count_between`.
    pub fn count_at_or_below(&self, value: u64) -> u64 {
        let last = self.layout.index(value.min(self.layout.highest));
        self.counts[..=last].iter().sum()
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
                let end = self.layout.index(t.min(self.layout.highest)) + 1;
                if end > from {
                    total += self.counts[from..end].iter().sum::<u64>();
                    from = end;
                }
            }
            total
        })
    }

    /// The non-empty cells, by ascending value.
    pub fn buckets(&self) -> impl Iterator<Item = Bucket> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, &count)| {
                let (low, width) = self.layout.range(i);
                Bucket {
                    low,
                    high: low + (width - 1),
                    count,
                }
            })
    }

    /// The series as an `hdrhistogram::Histogram` with the family's bounds
    /// and precision: for quantiles, iteration, merging with histograms
    /// from elsewhere, and V2 serialization.
    pub fn hdr(&self) -> &hdrhistogram::Histogram<u64> {
        self.hdr.get_or_init(|| {
            let mut hdr = hdrhistogram::Histogram::new_with_bounds(
                self.config.lowest,
                self.config.highest,
                self.config.precision,
            )
            .expect("the configuration was validated");
            for bucket in self.buckets() {
                hdr.record_n(bucket.low, bucket.count)
                    .expect("every cell's lowest value is within the histogram's range");
            }
            hdr
        })
    }
}
