//! Prometheus native histograms computed from HDR cells.
//!
//! - Schema: an HDR histogram of `k` bits of precision splits each power
//!   of two into `2^k` linear cells (5 by default; 4 for 1 digit, 7 for
//!   2); native schema `s` splits it into `2^s` exponential buckets. The
//!   schema is `min(k, 8)` (8 is the finest Prometheus accepts).
//! - Each non-empty HDR cell `[low, high]` goes whole into the native
//!   bucket holding its midpoint in exposed units
//!   (`(low + high) / 2 / scale`); native bucket `i` covers
//!   `(2^((i-1)/2^s), 2^(i/2^s)]`.
//! - The zero bucket has width [`ZERO_THRESHOLD`] (2^-128, Prometheus'
//!   default): only cells of exact zeros land there. A threshold above
//!   zero is what makes Prometheus 2.42 recognize a histogram without
//!   buckets (e.g. empty) as native.

use tally_core::{HistogramConfig, HistogramSnapshot};

/// The zero bucket's width: 2^-128, Prometheus' default.
pub const ZERO_THRESHOLD: f64 = 2.938_735_877_055_719e-39;

/// The native schema for a histogram family's precision.
pub fn native_schema(config: &HistogramConfig) -> i32 {
    i32::from(config.precision_bits()).min(8)
}

/// A native histogram's buckets: spans and deltas of the positive side,
/// and the zero bucket.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NativeBuckets {
    /// The schema (`-4..=8`).
    pub schema: i32,
    /// Width of the zero bucket.
    pub zero_threshold: f64,
    /// Values in the zero bucket.
    pub zero_count: u64,
    /// `(offset, length)` of each positive span.
    pub spans: Vec<(i32, u32)>,
    /// Count deltas of the positive buckets (to the previous bucket, the
    /// first to zero).
    pub deltas: Vec<i64>,
}

/// Boundaries of the fractions (as `frexp` returns, in `[0.5, 1)`) of one
/// schema: `2^(j/2^s - 1)` for `j` in `0..2^s`.
pub(crate) struct Bounds {
    pub(crate) schema: i32,
    fractions: Vec<f64>,
    /// The ratio of consecutive bucket boundaries, `2^(2^-schema)`.
    ratio: f64,
}

impl Bounds {
    pub(crate) fn new(schema: i32) -> Self {
        let n = 1usize << schema.max(0);
        let fractions = (0..n).map(|j| (j as f64 / n as f64 - 1.0).exp2()).collect();
        let ratio = (-f64::from(schema)).exp2().exp2();
        Bounds {
            schema,
            fractions,
            ratio,
        }
    }

    /// The upper boundary of bucket `index`, `2^(index / 2^schema)`.
    pub(crate) fn upper(&self, index: i32) -> f64 {
        (f64::from(index) / f64::from(1u32 << self.schema.max(0))).exp2()
    }

    /// The native bucket index holding `v > 0`.
    #[cfg(test)]
    pub(crate) fn index(&self, v: f64) -> i32 {
        self.index_upper(v).0
    }

    /// The native bucket index holding `v > 0` and its upper boundary,
    /// as client_golang computes it: `frexp`, then the position of the
    /// fraction in the schema's table. Here the position is estimated
    /// with `log2` and corrected against the table, which gives the
    /// table search's result without its mispredicted branches.
    pub(crate) fn index_upper(&self, v: f64) -> (i32, f64) {
        let (frac, exp) = frexp(v);
        if self.schema > 0 {
            let n = self.fractions.len();
            // Smallest j with fractions[j] >= frac (n if none).
            let mut j = ((frac.log2() * n as f64).ceil() as isize + n as isize).clamp(0, n as isize)
                as usize;
            while j > 0 && self.fractions[j - 1] >= frac {
                j -= 1;
            }
            while j < n && self.fractions[j] < frac {
                j += 1;
            }
            let top = if j < n { self.fractions[j] } else { 1.0 };
            let index = j as i32 + (exp - 1) * n as i32;
            (index, top * 2f64.powi(exp))
        } else {
            let index = self.index_coarse(frac, exp);
            (index, self.upper(index))
        }
    }

    /// Schemas <= 0 (unused by HDR precisions, kept for completeness).
    /// Key = exp, minus one on powers of two, then merged `2^-schema` at
    /// a time (client_golang's rule).
    fn index_coarse(&self, frac: f64, exp: i32) -> i32 {
        let key = if frac == 0.5 { exp - 1 } else { exp };
        let offset = (1 << -self.schema) - 1;
        (key + offset) >> -self.schema
    }
}

/// `v = frac * 2^exp` with `frac` in `[0.5, 1)`, for finite `v > 0`.
fn frexp(v: f64) -> (f64, i32) {
    let bits = v.to_bits();
    let raw_exp = ((bits >> 52) & 0x7ff) as i32;
    if raw_exp == 0 {
        // Subnormal: scale into the normal range first.
        let (f, e) = frexp(v * 2f64.powi(64));
        return (f, e - 64);
    }
    let frac = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (frac, raw_exp - 1022)
}

/// The native buckets of one series (the prost reference encoder's).
#[cfg(feature = "protobuf")]
pub(crate) fn native_buckets(h: &HistogramSnapshot, bounds: &Bounds) -> NativeBuckets {
    let mut out = NativeBuckets::default();
    native_buckets_into(h, bounds, &mut out);
    out
}

/// The native buckets of one series, into `out` (its vectors reused).
pub(crate) fn native_buckets_into(h: &HistogramSnapshot, bounds: &Bounds, out: &mut NativeBuckets) {
    let config: HistogramConfig = h.config();
    let scale = config.scale();
    out.schema = bounds.schema;
    out.zero_threshold = ZERO_THRESHOLD;
    out.zero_count = 0;
    out.spans.clear();
    out.deltas.clear();
    // (index, count) of the current native bucket.
    let mut current: Option<(i32, u64)> = None;
    let mut last_index: Option<i32> = None;
    let mut previous_count = 0i64;
    let mut flush = |out: &mut NativeBuckets, index: i32, count: u64| {
        match last_index {
            // Gaps of up to two empty buckets are cheaper as zero deltas
            // than as a new span (what client_golang does too).
            Some(last) if index - last <= 3 => {
                for _ in last + 1..index {
                    out.deltas.push(-previous_count);
                    previous_count = 0;
                }
                out.spans.last_mut().expect("a span is open").1 += (index - last) as u32;
            }
            Some(last) => out.spans.push((index - last - 1, 1)),
            None => out.spans.push((index, 1)),
        }
        out.deltas.push(count as i64 - previous_count);
        previous_count = count as i64;
        last_index = Some(index);
    };
    // Cells ascend, so native indices do: most cells fall in the current
    // native bucket or the next one, found without a search.
    // `upper` is the upper boundary of native bucket `upper_index`, exact
    // after a search and within a relative 1e-12 after the (at most a few
    // thousand) steps by `ratio` since; values within a relative 1e-10 of
    // a boundary take the exact search.
    const NEAR: f64 = 1e-10;
    let (mut upper, mut upper_index) = (f64::NEG_INFINITY, 0i32);
    for cell in h.cells() {
        let mid = (cell.low as f64 + cell.high as f64) / 2.0 / scale;
        if mid <= ZERO_THRESHOLD {
            out.zero_count += cell.count;
            continue;
        }
        let index = if mid <= upper * (1.0 - NEAR) {
            upper_index
        } else if mid > upper * (1.0 + NEAR) && mid <= upper * bounds.ratio * (1.0 - NEAR) {
            upper_index += 1;
            upper *= bounds.ratio;
            upper_index
        } else {
            let (index, top) = bounds.index_upper(mid);
            upper = top;
            upper_index = index;
            index
        };
        match current {
            Some((i, ref mut c)) if i == index => *c += cell.count,
            Some((i, c)) => {
                flush(out, i, c);
                current = Some((index, cell.count));
            }
            None => current = Some((index, cell.count)),
        }
    }
    if let Some((i, c)) = current {
        flush(out, i, c);
    }
}

/// Expands spans and deltas back to `(index, count)` of every bucket
/// (zero counts included): the inverse of the encoding, for checks.
pub fn expand_native(spans: &[(i32, u32)], deltas: &[i64]) -> Vec<(i32, u64)> {
    let mut out = Vec::new();
    let mut index = 0i32;
    let mut count = 0i64;
    let mut deltas = deltas.iter();
    for &(offset, length) in spans {
        // The first offset is the starting index, later ones the gap
        // after the previous span's end.
        index += offset;
        for _ in 0..length {
            count += deltas.next().copied().unwrap_or(0);
            out.push((index, count as u64));
            index += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_from_precision() {
        let schema =
            |digits| native_schema(&HistogramConfig::seconds().with_precision_digits(digits));
        assert_eq!(schema(1), 4);
        assert_eq!(schema(2), 7);
        assert_eq!(schema(3), 8);
        assert_eq!(schema(5), 8);
        assert_eq!(native_schema(&HistogramConfig::seconds()), 5);
    }

    #[test]
    fn indices() {
        let b = Bounds::new(0);
        assert_eq!(b.index(1.0), 0);
        assert_eq!(b.index(1.5), 1);
        assert_eq!(b.index(2.0), 1);
        assert_eq!(b.index(0.75), 0);
        let b = Bounds::new(3);
        assert_eq!(b.index(1.0), 0);
        assert_eq!(b.index(2.0), 8);
        assert_eq!(b.index(2.0f64.powf(1.0 / 8.0) * 1.0000001), 2);
        assert_eq!(b.index(0.5), -8);
        for v in [0.001, 0.3, 1.7, 123.4, 1e9] {
            let i = b.index(v);
            let upper = (f64::from(i) / 8.0).exp2();
            let lower = (f64::from(i - 1) / 8.0).exp2();
            assert!(lower < v && v <= upper * (1.0 + 1e-12), "{v} in {i}");
        }
    }

    #[test]
    fn estimated_index_equals_the_search() {
        for schema in 1..=8 {
            let b = Bounds::new(schema);
            let n = b.fractions.len();
            let mut v = 1e-9;
            while v < 1e12 {
                for probe in [v, v * (1.0 + 1e-15), v * (1.0 - 1e-15)] {
                    let (frac, exp) = frexp(probe);
                    let j = b.fractions.partition_point(|&x| x < frac) as i32;
                    let (index, upper) = b.index_upper(probe);
                    assert_eq!(
                        index,
                        j + (exp - 1) * n as i32,
                        "{probe} at schema {schema}"
                    );
                    assert!(probe <= upper && probe > upper / b.ratio * (1.0 - 1e-15));
                }
                v *= 1.0007;
            }
            // Exact boundaries: powers of two and the table's own values.
            for &f in &b.fractions {
                let (index, _) = b.index_upper(f * 4.0);
                let (frac, exp) = frexp(f * 4.0);
                let j = b.fractions.partition_point(|&x| x < frac) as i32;
                assert_eq!(index, j + (exp - 1) * n as i32);
            }
        }
    }

    #[test]
    fn spans_round_trip() {
        let spans = [(-3, 2), (4, 1)];
        let deltas = [2, 1, -3];
        assert_eq!(expand_native(&spans, &deltas), [(-3, 2), (-2, 3), (3, 0)]);
    }
}
