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
    /// Precision in bits (cells per power of two: `2^bits`) is 2 to 17.
    #[error("precision must be 2 to 17 bits (4 to 131072 cells per power of two), not {0}")]
    PrecisionBits(u8),
    /// `lowest` is so large that the precision cannot be represented.
    #[error("a lowest value of {lowest} leaves no room for {precision} significant digits")]
    LowestTooLargeForPrecision {
        /// The configured lowest value.
        lowest: u64,
        /// The configured precision.
        precision: u8,
    },
    /// At least one bucket bound is needed (`+Inf` is implied).
    #[error("at least one bucket bound is needed (`+Inf` is implied)")]
    NoBuckets,
    /// A bucket bound is infinite or NaN.
    #[error("bucket bound {bound} is not a finite number")]
    BucketNotFinite {
        /// The bound's position in the list.
        index: usize,
        /// The bound.
        bound: f64,
    },
    /// A bucket bound repeats the one before it.
    #[error("bucket bound {bound} appears twice")]
    RepeatedBucket {
        /// The second occurrence's position in the list.
        index: usize,
        /// The bound.
        bound: f64,
    },
    /// A bucket bound is below the one before it.
    #[error("bucket bounds must be strictly ascending: {bound} comes after {previous}")]
    BucketsNotAscending {
        /// The bound's position in the list.
        index: usize,
        /// The bound.
        bound: f64,
        /// The bound before it.
        previous: f64,
    },
    /// A quantile is outside `0..=1`.
    #[error("quantile {quantile} is not between 0 and 1")]
    Quantile {
        /// The quantile's position in the list.
        index: usize,
        /// The quantile.
        quantile: f64,
    },
    /// A quantile is listed twice (two series would have the same
    /// `quantile` label).
    #[error("quantile {quantile} appears twice")]
    RepeatedQuantile {
        /// The second occurrence's position in the list.
        index: usize,
        /// The quantile.
        quantile: f64,
    },
    /// The scale must be a finite number above zero.
    #[error("the scale must be finite and above zero, not {0}")]
    Scale(f64),
}

/// Range, precision and scale of a [`Histogram`](crate::Histogram).
///
/// Values are recorded as integers in a *recording unit* (nanoseconds for
/// time); `scale` is how many recording units make one exposed unit
/// (1e9 ns per second), so exporters show base units.
///
/// Precision is how many equal cells each power of two is split into:
/// `2^bits`. The default, 5 bits (32 cells per power of two), keeps every
/// cell narrower than 1/32 (3.1%) of its values, and quantiles are
/// reported at the cell's midpoint, within 1/64 (1.6%) of the true value:
/// plenty for latencies, and a series whose values span four decades
/// holds about 2.2 KB per writer thread. [`with_precision_digits`](Self::with_precision_digits)
/// sets it in significant decimal digits as HdrHistogram does (1 digit =
/// 4 bits, 2 = 7, 3 = 10, 4 = 14, 5 = 17; memory grows 8x per digit).
///
/// It also carries how text exporters show the family: the classic
/// `le` bucket bounds (in exposed units; `None` lets the exporter pick a
/// default for the unit) and opt-in summary quantiles (empty: none).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistogramConfig {
    pub(crate) lowest: u64,
    pub(crate) highest: u64,
    pub(crate) precision: Precision,
    pub(crate) scale: f64,
    pub(crate) buckets: Option<&'static [f64]>,
    pub(crate) quantiles: &'static [f64],
}

/// How a configuration's precision was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Precision {
    /// Significant decimal digits, as HdrHistogram takes them.
    Digits(u8),
    /// Bits: `2^bits` cells per power of two.
    Bits(u8),
}

/// The default precision: 32 cells per power of two.
pub(crate) const DEFAULT_PRECISION_BITS: u8 = 5;

/// HdrHistogram's bits for `digits` significant digits (cells per power
/// of two: `2^bits`).
pub(crate) const fn hdr_bits(digits: u8) -> u8 {
    (HistogramConfig::hdr_cell_magnitude(digits) - 1) as u8
}

/// The quantiles a summary shows when its configuration names none.
pub const DEFAULT_SUMMARY_QUANTILES: &[f64] = &[0.5, 0.9, 0.99, 0.999];

/// One hour in nanoseconds.
const HOUR_NS: u64 = 3_600_000_000_000;

impl HistogramConfig {
    /// Latencies: recorded in nanoseconds from 1 ns to 1 hour at the
    /// default precision (32 cells per power of two), exposed in seconds.
    /// The default, and what `Histogram::new()` uses.
    pub const fn seconds() -> Self {
        HistogramConfig {
            lowest: 1,
            highest: HOUR_NS,
            precision: Precision::Bits(DEFAULT_PRECISION_BITS),
            scale: 1e9,
            buckets: None,
            quantiles: &[],
        }
    }

    /// Plain integers (sizes in bytes, batch lengths, ...) from `lowest`
    /// to `highest` at the default precision, exposed as recorded.
    pub const fn raw(lowest: u64, highest: u64) -> Self {
        HistogramConfig {
            lowest,
            highest,
            precision: Precision::Bits(DEFAULT_PRECISION_BITS),
            scale: 1.0,
            buckets: None,
            quantiles: &[],
        }
    }

    /// The same with another lowest discernible value (in recording
    /// units); read it back with [`lowest`](Self::lowest).
    pub const fn with_lowest(mut self, lowest: u64) -> Self {
        self.lowest = lowest;
        self
    }

    /// The same with another highest trackable value (in recording units);
    /// larger values are clamped to it and counted. Read it back with
    /// [`highest`](Self::highest).
    pub const fn with_highest(mut self, highest: u64) -> Self {
        self.highest = highest;
        self
    }

    /// The same with another precision, in significant decimal digits
    /// (1 to 5) as HdrHistogram takes them: the same cells as an
    /// `hdrhistogram::Histogram` of that precision. Memory per series
    /// grows about 8x per digit. Read it back with
    /// [`precision_digits`](Self::precision_digits).
    pub const fn with_precision_digits(mut self, digits: u8) -> Self {
        self.precision = Precision::Digits(digits);
        self
    }

    /// The same with another precision in bits (2 to 17): each power of
    /// two is split into `2^bits` cells, so a cell is narrower than
    /// `2^-bits` of its values and a quantile is within half that. Read it
    /// back with [`precision_bits`](Self::precision_bits).
    pub const fn with_precision_bits(mut self, bits: u8) -> Self {
        self.precision = Precision::Bits(bits);
        self
    }

    /// The same with another scale (recording units per exposed unit);
    /// read it back with [`scale`](Self::scale).
    pub const fn with_scale(mut self, scale: f64) -> Self {
        self.scale = scale;
        self
    }

    /// The same with explicit classic-histogram bucket bounds (the `le`
    /// upper bounds in exposed units, ascending; `+Inf` is implied). Read
    /// them back with [`classic_buckets`](Self::classic_buckets).
    pub const fn with_classic_buckets(mut self, bounds: &'static [f64]) -> Self {
        self.buckets = Some(bounds);
        self
    }

    /// The same with summary quantiles exposed too (e.g. `&[0.5, 0.9,
    /// 0.99, 0.999]`), as an addition to the buckets: quantiles cannot be
    /// aggregated across instances, buckets can. Read them back with
    /// [`quantiles`](Self::quantiles).
    pub const fn with_quantiles(mut self, quantiles: &'static [f64]) -> Self {
        self.quantiles = quantiles;
        self
    }

    /// Old name of [`with_precision_digits`](Self::with_precision_digits).
    #[deprecated(since = "0.1.0", note = "use `with_precision_digits`")]
    pub const fn precision(self, digits: u8) -> Self {
        self.with_precision_digits(digits)
    }

    /// Old name of [`with_classic_buckets`](Self::with_classic_buckets).
    #[deprecated(since = "0.1.0", note = "use `with_classic_buckets`")]
    pub const fn buckets(self, bounds: &'static [f64]) -> Self {
        self.with_classic_buckets(bounds)
    }

    /// Checks the configuration; [`Histogram::with_config`](crate::Histogram::with_config)
    /// calls it. The first of [`problems`](Self::problems), if any.
    pub fn validate(&self) -> Result<(), HistogramConfigError> {
        match self.problems().into_iter().next() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Every reason the configuration is refused, in field order (the
    /// derive reports them all, each on its own token).
    pub fn problems(&self) -> Vec<HistogramConfigError> {
        let mut problems = Vec::new();
        if self.lowest == 0 {
            problems.push(HistogramConfigError::LowestIsZero);
        } else if self.highest / 2 < self.lowest {
            problems.push(HistogramConfigError::HighestTooLow {
                lowest: self.lowest,
                highest: self.highest,
            });
        }
        match self.precision {
            Precision::Digits(d) if !(1..=5).contains(&d) => {
                problems.push(HistogramConfigError::Precision(d));
            }
            Precision::Bits(b) if !(2..=17).contains(&b) => {
                problems.push(HistogramConfigError::PrecisionBits(b));
            }
            // The snapshot's `hdrhistogram` (at `precision_digits`, as fine
            // or finer) needs room for its cells of `lowest` too.
            _ if self.lowest != 0
                && self.lowest.ilog2() + Self::hdr_cell_magnitude(self.precision_digits()) > 63 =>
            {
                problems.push(HistogramConfigError::LowestTooLargeForPrecision {
                    lowest: self.lowest,
                    precision: self.precision_digits(),
                });
            }
            _ => {}
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            problems.push(HistogramConfigError::Scale(self.scale));
        }
        if let Some(bounds) = self.buckets {
            if bounds.is_empty() {
                problems.push(HistogramConfigError::NoBuckets);
            }
            for (index, &bound) in bounds.iter().enumerate() {
                let previous = index.checked_sub(1).map(|i| bounds[i]);
                if !bound.is_finite() {
                    problems.push(HistogramConfigError::BucketNotFinite { index, bound });
                } else if previous == Some(bound) {
                    problems.push(HistogramConfigError::RepeatedBucket { index, bound });
                } else if let Some(previous) = previous.filter(|p| *p > bound) {
                    problems.push(HistogramConfigError::BucketsNotAscending {
                        index,
                        bound,
                        previous,
                    });
                }
            }
        }
        for (index, &quantile) in self.quantiles.iter().enumerate() {
            if !(0.0..=1.0).contains(&quantile) {
                problems.push(HistogramConfigError::Quantile { index, quantile });
            } else if self.quantiles[..index].contains(&quantile) {
                problems.push(HistogramConfigError::RepeatedQuantile { index, quantile });
            }
        }
        problems
    }

    /// log2 of the number of linear cells each power of two is split
    /// into at `precision` significant digits: HdrHistogram keeps
    /// single-unit resolution up to `2 * 10^precision`, rounded up to a
    /// power of two. The one formula for a precision in digits (the cells
    /// of [`with_precision_digits`](Self::with_precision_digits) and of every snapshot's
    /// `hdrhistogram`).
    pub(crate) const fn hdr_cell_magnitude(precision: u8) -> u32 {
        (2 * 10u64.pow(precision as u32))
            .next_power_of_two()
            .ilog2()
    }

    /// Lowest discernible value, in recording units (set with
    /// [`with_lowest`](Self::with_lowest)).
    pub const fn lowest(&self) -> u64 {
        self.lowest
    }

    /// Highest trackable value, in recording units (set with
    /// [`with_highest`](Self::with_highest)).
    pub const fn highest(&self) -> u64 {
        self.highest
    }

    /// Significant decimal digits: those given to
    /// [`with_precision_digits`](Self::with_precision_digits), or the
    /// fewest whose HdrHistogram cells are finer than the configured bits
    /// (at most 5; what
    /// [`HistogramSnapshot::hdr`](crate::HistogramSnapshot::hdr) uses).
    pub fn precision_digits(&self) -> u8 {
        match self.precision {
            Precision::Digits(d) => d,
            Precision::Bits(b) => (1..=5).find(|&d| hdr_bits(d) > b).unwrap_or(5),
        }
    }

    /// Bits of precision: each power of two is split into `2^bits` cells
    /// (set with [`with_precision_bits`](Self::with_precision_bits), or
    /// derived from the digits).
    pub const fn precision_bits(&self) -> u8 {
        match self.precision {
            Precision::Digits(d) => hdr_bits(d),
            Precision::Bits(b) => b,
        }
    }

    /// Recording units per exposed unit (set with
    /// [`with_scale`](Self::with_scale)).
    pub const fn scale(&self) -> f64 {
        self.scale
    }

    /// Classic bucket bounds in exposed units, if set with
    /// [`with_classic_buckets`](Self::with_classic_buckets).
    pub const fn classic_buckets(&self) -> Option<&'static [f64]> {
        self.buckets
    }

    /// Summary quantiles to expose (empty: none; set with
    /// [`with_quantiles`](Self::with_quantiles)).
    pub const fn quantiles(&self) -> &'static [f64] {
        self.quantiles
    }

    /// Old name of [`lowest`](Self::lowest).
    #[deprecated(since = "0.1.0", note = "use `lowest`")]
    pub fn lowest_value(&self) -> u64 {
        self.lowest()
    }

    /// Old name of [`highest`](Self::highest).
    #[deprecated(since = "0.1.0", note = "use `highest`")]
    pub fn highest_value(&self) -> u64 {
        self.highest()
    }

    /// Old name of [`precision_bits`](Self::precision_bits).
    #[deprecated(since = "0.1.0", note = "use `precision_bits`")]
    pub fn precision_in_bits(&self) -> u8 {
        self.precision_bits()
    }

    /// Old name of [`scale`](Self::scale).
    #[deprecated(since = "0.1.0", note = "use `scale`")]
    pub fn scale_factor(&self) -> f64 {
        self.scale()
    }

    /// Old name of [`classic_buckets`](Self::classic_buckets).
    #[deprecated(since = "0.1.0", note = "use `classic_buckets`")]
    pub fn bucket_bounds(&self) -> Option<&'static [f64]> {
        self.classic_buckets()
    }

    /// Old name of [`quantiles`](Self::quantiles).
    #[deprecated(since = "0.1.0", note = "use `quantiles`")]
    pub fn summary_quantiles(&self) -> &'static [f64] {
        self.quantiles()
    }
}

impl Default for HistogramConfig {
    fn default() -> Self {
        Self::seconds()
    }
}

#[cfg(test)]
mod tests {
    use super::{HistogramConfig, HistogramConfigError::*};

    #[test]
    fn every_problem_is_reported_in_field_order() {
        let config = HistogramConfig::raw(1, 1000)
            .with_precision_digits(9)
            .with_classic_buckets(&[1.0, 2.0, 2.0, 1.5, f64::INFINITY])
            .with_quantiles(&[0.5, 1.5, 0.5]);
        assert_eq!(
            config.problems(),
            vec![
                Precision(9),
                RepeatedBucket {
                    index: 2,
                    bound: 2.0
                },
                BucketsNotAscending {
                    index: 3,
                    bound: 1.5,
                    previous: 2.0
                },
                BucketNotFinite {
                    index: 4,
                    bound: f64::INFINITY
                },
                Quantile {
                    index: 1,
                    quantile: 1.5
                },
                RepeatedQuantile {
                    index: 2,
                    quantile: 0.5
                },
            ]
        );
        assert_eq!(config.validate(), Err(Precision(9)));
    }

    #[test]
    fn lowest_must_leave_room_for_the_precision() {
        let lowest = 1 << 60;
        let config = HistogramConfig::raw(lowest, lowest * 4);
        assert_eq!(
            config.validate(),
            Err(LowestTooLargeForPrecision {
                lowest,
                precision: 2
            })
        );
        assert_eq!(HistogramConfig::raw(1 << 40, 1 << 50).validate(), Ok(()));
        assert_eq!(HistogramConfig::raw(0, 10).validate(), Err(LowestIsZero));
    }

    #[test]
    fn hdr_cell_magnitude_is_hdrs() {
        // 2 * 10^p rounded up to a power of two: 32, 256, 2048.
        assert_eq!(HistogramConfig::hdr_cell_magnitude(1), 5);
        assert_eq!(HistogramConfig::hdr_cell_magnitude(2), 8);
        assert_eq!(HistogramConfig::hdr_cell_magnitude(3), 11);
    }
}
