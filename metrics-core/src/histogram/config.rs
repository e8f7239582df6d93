//! The range, precision and scale of an HDR histogram family.

/// Why a histogram configuration was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistogramConfigError {
    /// `lowest` must be at least 1.
    #[error("the lowest discernible value must be at least 1")]
    LowestIsZero,
    /// `highest` must be at least twice `lowest`.
    #[error(
        "the highest trackable value ({highest}) must be at least twice the lowest ({lowest})"
    )]
    HighestTooLow {
        /// The configured lowest value.
        lowest: u64,
        /// The configured highest value.
        highest: u64,
    },
    /// Precision is in significant decimal digits, 1 to 5.
    #[error("precision must be 1 to 5 significant digits, not {0}")]
    Precision(u8),
    /// `lowest` is so large that the precision cannot be represented.
    #[error("a lowest value of {lowest} leaves no room for {precision} significant digits")]
    LowestTooLargeForPrecision {
        /// The configured lowest value.
        lowest: u64,
        /// The configured precision.
        precision: u8,
    },
    /// Bucket bounds must be finite, non-empty and strictly ascending.
    #[error("bucket bounds must be finite, non-empty and strictly ascending")]
    Buckets,
    /// Quantiles must lie in `0..=1`.
    #[error("quantiles must lie between 0 and 1")]
    Quantiles,
    /// The scale must be a finite number above zero.
    #[error("the scale must be finite and above zero, not {0}")]
    Scale(f64),
}

/// Range, precision and scale of a [`Histogram`](crate::Histogram).
///
/// Values are recorded as integers in a *recording unit* (nanoseconds for
/// time); `scale` is how many recording units make one exposed unit
/// (1e9 ns per second), so exporters show base units. Relative error of
/// any recorded value is at most `10^-precision`.
///
/// It also carries how text exporters show the family: the classic
/// `le` bucket bounds (in exposed units; `None` lets the exporter pick a
/// default for the unit) and opt-in summary quantiles (empty: none).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistogramConfig {
    pub(crate) lowest: u64,
    pub(crate) highest: u64,
    pub(crate) precision: u8,
    pub(crate) scale: f64,
    pub(crate) buckets: Option<&'static [f64]>,
    pub(crate) quantiles: &'static [f64],
}

/// The quantiles a summary shows when its configuration names none.
pub const DEFAULT_SUMMARY_QUANTILES: &[f64] = &[0.5, 0.9, 0.99, 0.999];

/// One hour in nanoseconds.
const HOUR_NS: u64 = 3_600_000_000_000;

impl HistogramConfig {
    /// Latencies: recorded in nanoseconds from 1 ns to 1 hour with 2
    /// significant digits (1% error), exposed in seconds. The default.
    pub const fn seconds() -> Self {
        HistogramConfig {
            lowest: 1,
            highest: HOUR_NS,
            precision: 2,
            scale: 1e9,
            buckets: None,
            quantiles: &[],
        }
    }

    /// Plain integers (sizes in bytes, batch lengths, ...) from `lowest`
    /// to `highest`, 2 significant digits, exposed as recorded.
    pub const fn raw(lowest: u64, highest: u64) -> Self {
        HistogramConfig {
            lowest,
            highest,
            precision: 2,
            scale: 1.0,
            buckets: None,
            quantiles: &[],
        }
    }

    /// The same with another lowest discernible value (in recording units).
    pub const fn lowest(mut self, lowest: u64) -> Self {
        self.lowest = lowest;
        self
    }

    /// The same with another highest trackable value (in recording units);
    /// larger values are clamped to it and counted.
    pub const fn highest(mut self, highest: u64) -> Self {
        self.highest = highest;
        self
    }

    /// The same with another precision, in significant digits (1 to 5).
    /// Memory per series grows about 8x per digit.
    pub const fn precision(mut self, precision: u8) -> Self {
        self.precision = precision;
        self
    }

    /// The same with another scale (recording units per exposed unit).
    pub const fn scale(mut self, scale: f64) -> Self {
        self.scale = scale;
        self
    }

    /// The same with explicit classic-histogram bucket bounds (upper
    /// bounds in exposed units, ascending; `+Inf` is implied).
    pub const fn buckets(mut self, bounds: &'static [f64]) -> Self {
        self.buckets = Some(bounds);
        self
    }

    /// The same with summary quantiles exposed too (e.g. `&[0.5, 0.9,
    /// 0.99, 0.999]`), as an addition to the buckets: quantiles cannot be
    /// aggregated across instances, buckets can.
    pub const fn quantiles(mut self, quantiles: &'static [f64]) -> Self {
        self.quantiles = quantiles;
        self
    }

    /// Checks the configuration; [`Histogram::with_config`](crate::Histogram::with_config)
    /// calls it.
    pub fn validate(&self) -> Result<(), HistogramConfigError> {
        if self.lowest == 0 {
            return Err(HistogramConfigError::LowestIsZero);
        }
        if self.highest / 2 < self.lowest {
            return Err(HistogramConfigError::HighestTooLow {
                lowest: self.lowest,
                highest: self.highest,
            });
        }
        if !(1..=5).contains(&self.precision) {
            return Err(HistogramConfigError::Precision(self.precision));
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(HistogramConfigError::Scale(self.scale));
        }
        if let Some(bounds) = self.buckets {
            let ascending = bounds.windows(2).all(|w| w[0] < w[1]);
            if bounds.is_empty() || !ascending || bounds.iter().any(|b| !b.is_finite()) {
                return Err(HistogramConfigError::Buckets);
            }
        }
        if self.quantiles.iter().any(|q| !(0.0..=1.0).contains(q)) {
            return Err(HistogramConfigError::Quantiles);
        }
        Ok(())
    }

    /// Lowest discernible value, in recording units.
    pub fn lowest_value(&self) -> u64 {
        self.lowest
    }

    /// Highest trackable value, in recording units.
    pub fn highest_value(&self) -> u64 {
        self.highest
    }

    /// Significant decimal digits.
    pub fn precision_digits(&self) -> u8 {
        self.precision
    }

    /// Recording units per exposed unit.
    pub fn scale_factor(&self) -> f64 {
        self.scale
    }

    /// Classic bucket bounds in exposed units, if set explicitly.
    pub fn bucket_bounds(&self) -> Option<&'static [f64]> {
        self.buckets
    }

    /// Summary quantiles to expose (empty: none).
    pub fn summary_quantiles(&self) -> &'static [f64] {
        self.quantiles
    }
}

impl Default for HistogramConfig {
    fn default() -> Self {
        Self::seconds()
    }
}
