//! Classic (`le`) buckets from an HDR histogram: the bounds of a family
//! and the cumulative count at each bound, in one pass over the cells.
//!
//! # Default bounds
//!
//! When a family sets no bounds ([`HistogramConfig::classic_buckets`] is
//! `None`):
//! - time (scale 1e9, i.e. nanoseconds exposed as seconds, or unit
//!   `seconds`): the 1-2.5-5 series from 1 µs to 100 s
//!   ([`DEFAULT_SECONDS_BOUNDS`]), a superset of Prometheus' default
//!   buckets (0.005 .. 10) extended both ways, so existing dashboards
//!   keep their `le` values;
//! - anything else: the 1-2-5 series from the lowest discernible value
//!   (in exposed units, at least 1 when integral) up to the first bound
//!   at or above the highest trackable value.
//!
//! The count at bound `b` counts the whole HDR cell that holds `b`
//! (as `hdrhistogram`'s `count_between` does), so it may include values
//! up to one cell width (the configured precision) above `b`.

use tally_core::{HistogramConfig, HistogramSnapshot, Unit};

use super::number::write_canonical;

/// The default bounds of time histograms, in seconds: the one list in
/// core that instrumented functions' latency objectives are checked
/// against too.
pub const DEFAULT_SECONDS_BOUNDS: &[f64] = tally_core::instrument::LATENCY_BUCKETS;

/// The classic bucket bounds of a histogram family, in exposed units,
/// written into `bounds` (cleared first).
pub fn bucket_bounds(config: &HistogramConfig, unit: Option<Unit>, bounds: &mut Vec<f64>) {
    bounds.clear();
    if let Some(explicit) = config.classic_buckets() {
        bounds.extend_from_slice(explicit);
        return;
    }
    let scale = config.scale();
    if scale == 1e9 || unit == Some(Unit::SECONDS) {
        bounds.extend_from_slice(DEFAULT_SECONDS_BOUNDS);
        return;
    }
    let lowest = config.lowest() as f64 / scale;
    let highest = config.highest() as f64 / scale;
    // Start at the largest power of ten at or below `lowest`.
    let mut decade = 10f64.powi(lowest.log10().floor() as i32);
    if scale == 1.0 {
        decade = decade.max(1.0);
    }
    'outer: loop {
        for step in [1.0, 2.0, 5.0] {
            let b = decade * step;
            if b >= lowest {
                bounds.push(b);
            }
            if b >= highest || bounds.len() >= 64 {
                break 'outer;
            }
        }
        decade *= 10.0;
    }
}

/// Per-family state reused across the series of a histogram family: its
/// bounds, their recording-unit thresholds, their `le` strings, and the
/// cumulative counts of the current series.
#[derive(Default)]
pub(crate) struct Classic {
    /// Upper bounds, in exposed units.
    pub(crate) bounds: Vec<f64>,
    /// How many bounds (the first ones) are below every recordable value.
    below: usize,
    /// Highest recorded value counted at each other bound, in recording
    /// units.
    thresholds: Vec<u64>,
    /// Canonical `le` strings, concatenated.
    le: Vec<u8>,
    /// End of each `le` string in `le`.
    le_ends: Vec<usize>,
    /// Cumulative count at each bound, for the current series.
    pub(crate) cumulative: Vec<u64>,
}

impl Classic {
    /// Prepares the bounds of a family.
    pub(crate) fn prepare(&mut self, config: &HistogramConfig, unit: Option<Unit>) {
        bucket_bounds(config, unit, &mut self.bounds);
        let scale = config.scale();
        self.thresholds.clear();
        self.thresholds
            .extend(self.bounds.iter().filter_map(|&b| threshold(b, scale)));
        self.below = self.bounds.len() - self.thresholds.len();
        self.le.clear();
        self.le_ends.clear();
        for &b in &self.bounds {
            write_canonical(&mut self.le, b);
            self.le_ends.push(self.le.len());
        }
    }

    /// The `le` string of bound `i`.
    pub(crate) fn le(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.le_ends[i - 1] };
        &self.le[start..self.le_ends[i]]
    }

    /// Fills `cumulative` for one series, in one pass over its cells
    /// (the cell holding a bound counts whole, as hdrhistogram's
    /// `count_between` does).
    pub(crate) fn count(&mut self, histogram: &HistogramSnapshot) {
        self.cumulative.clear();
        self.cumulative.resize(self.below, 0);
        self.cumulative
            .extend(histogram.cumulative_counts(&self.thresholds));
    }
}

/// The highest recorded value (recording units) at or below bound `b`
/// (exposed units). Products within float error of an integer count as
/// that integer (`1e-6 * 1e9` is 999.9999999999999, meaning 1000).
pub(crate) fn threshold(b: f64, scale: f64) -> Option<u64> {
    let x = b * scale;
    if x < 0.0 {
        return None;
    }
    let r = x.round();
    let t = if (x - r).abs() <= 1e-9 * r.max(1.0) {
        r
    } else {
        x.floor()
    };
    // `as` saturates at u64::MAX.
    Some(t as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let mut b = Vec::new();
        bucket_bounds(&HistogramConfig::seconds(), None, &mut b);
        assert_eq!(b, DEFAULT_SECONDS_BOUNDS);
        for prom in [
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ] {
            assert!(b.contains(&prom));
        }
        bucket_bounds(&HistogramConfig::raw(1, 1000), None, &mut b);
        assert_eq!(
            b,
            [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]
        );
        bucket_bounds(
            &HistogramConfig::raw(1, 1000).with_classic_buckets(&[3.0, 7.0]),
            None,
            &mut b,
        );
        assert_eq!(b, [3.0, 7.0]);
    }

    #[test]
    fn bounds_below_zero_count_nothing_and_the_rest_are_cumulative() {
        let h = tally_core::Histogram::<()>::with_config(
            HistogramConfig::raw(1, 1000).with_classic_buckets(&[-2.0, -1.0, 3.0, 10.0, 2000.0]),
        )
        .unwrap();
        for v in [1, 2, 3, 4, 10, 11, 999] {
            h.record(v);
        }
        let mut classic = Classic::default();
        let snap = h.snapshot();
        classic.prepare(&snap.config(), None);
        classic.count(&snap);
        assert_eq!(classic.cumulative, [0, 0, 3, 5, 7]);
    }

    #[test]
    fn thresholds() {
        assert_eq!(threshold(1e-6, 1e9), Some(1000));
        assert_eq!(threshold(0.005, 1e9), Some(5_000_000));
        assert_eq!(threshold(2.5, 1.0), Some(2));
        assert_eq!(threshold(-1.0, 1.0), None);
    }
}
