//! The HdrHistogram counts-array layout: each power of two split into
//! `2^bits` equal cells, computed exactly as the `hdrhistogram` crate does
//! (for the bits of an HdrHistogram precision the cells are the crate's,
//! index for index; other bits nest inside the crate's next finer ones).

use super::config::{HistogramConfig, HistogramConfigError};

/// Where each value lands in a dense array of counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) lowest: u64,
    pub(crate) highest: u64,
    unit_magnitude: u32,
    sub_half_magnitude: u32,
    sub_half: u64,
    sub_mask: u64,
    leading_zero_base: u32,
    pub(crate) len: usize,
}

impl Layout {
    pub(crate) fn new(config: &HistogramConfig) -> Result<Layout, HistogramConfigError> {
        config.validate()?;
        let (lowest, highest) = (config.lowest, config.highest);
        // `validate` has checked that the cells of `lowest` fit in 64 bits.
        let unit_magnitude = lowest.ilog2();
        let sub_count_magnitude = u32::from(config.precision_bits()) + 1;
        let sub_half_magnitude = sub_count_magnitude - 1;
        let sub_count = 1u64 << sub_count_magnitude;
        let sub_half = sub_count / 2;

        // Buckets needed so that `highest` is representable.
        let mut smallest_untrackable = sub_count << unit_magnitude;
        let mut buckets = 1u64;
        while smallest_untrackable <= highest {
            if smallest_untrackable > u64::MAX / 2 {
                buckets += 1;
                break;
            }
            smallest_untrackable <<= 1;
            buckets += 1;
        }
        Ok(Layout {
            lowest,
            highest,
            unit_magnitude,
            sub_half_magnitude,
            sub_half,
            sub_mask: (sub_count - 1) << unit_magnitude,
            leading_zero_base: 64 - unit_magnitude - sub_count_magnitude,
            len: ((buckets + 1) * sub_half) as usize,
        })
    }

    /// The cell of `value`; `value` must be at most `highest`.
    #[inline(always)]
    pub(crate) fn index(&self, value: u64) -> usize {
        let bucket = self.leading_zero_base - (value | self.sub_mask).leading_zeros();
        let sub = value >> (bucket + self.unit_magnitude);
        ((u64::from(bucket + 1) << self.sub_half_magnitude) + sub - self.sub_half) as usize
    }

    /// The lowest value of cell `index` and the width of its range.
    pub(crate) fn range(&self, index: usize) -> (u64, u64) {
        let index = index as u64;
        let (bucket, sub) = match (index >> self.sub_half_magnitude).checked_sub(1) {
            Some(bucket) => (bucket, (index & (self.sub_half - 1)) + self.sub_half),
            None => (0, index & (self.sub_half - 1)),
        };
        let shift = bucket as u32 + self.unit_magnitude;
        (sub << shift, 1u64 << shift)
    }
}
