//! Division of a 32-bit series index by a divisor fixed when a family is
//! built, without a `div` instruction: one widening multiply (Lemire,
//! Kaser and Kurz, "Faster remainder by direct computation", 2019: for
//! 32-bit numerators a 64-bit reciprocal is exact).

/// A divisor of 32-bit numerators and its 64-bit reciprocal.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Divisor {
    d: u64,
    /// `ceil(2^64 / d)`; unused (0) for `d == 1`.
    m: u64,
}

impl Divisor {
    /// Divides by `d` (at least 1, less than 2^32).
    pub(crate) fn new(d: usize) -> Self {
        assert!(d >= 1 && d <= u32::MAX as usize, "divisor {d} out of range");
        let d = d as u64;
        let m = if d == 1 { 0 } else { u64::MAX / d + 1 };
        Divisor { d, m }
    }

    /// `n / d`, for `n < 2^32`.
    #[inline(always)]
    pub(crate) fn div(self, n: usize) -> usize {
        debug_assert!(n <= u32::MAX as usize);
        if self.d == 1 {
            return n;
        }
        ((self.m as u128 * n as u128) >> 64) as usize
    }

    /// `n % d`, for `n < 2^32`.
    #[inline(always)]
    pub(crate) fn rem(self, n: usize) -> usize {
        debug_assert!(n <= u32::MAX as usize);
        if self.d == 1 {
            return 0;
        }
        let low = self.m.wrapping_mul(n as u64);
        ((low as u128 * self.d as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::Divisor;

    #[test]
    fn agrees_with_div_and_rem() {
        let numerators = (0..4096usize)
            .chain((0..64).map(|s| (u32::MAX as usize) >> s))
            .chain((1..64).map(|s| ((u32::MAX as usize) >> s) + 1))
            .chain((0..1000).map(|i| (i * 2_654_435_761usize) & u32::MAX as usize));
        let numerators: Vec<usize> = numerators.collect();
        let divisors = (1..600usize)
            .chain([
                641,
                1 << 16,
                (1 << 16) + 1,
                65_537 * 3,
                u32::MAX as usize - 1,
            ])
            .chain([u32::MAX as usize]);
        for d in divisors {
            let div = Divisor::new(d);
            for &n in &numerators {
                assert_eq!(div.div(n), n / d, "{n} / {d}");
                assert_eq!(div.rem(n), n % d, "{n} % {d}");
            }
        }
    }
}
