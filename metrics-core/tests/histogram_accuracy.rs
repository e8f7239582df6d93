//! With a precision in digits the HDR layout matches the `hdrhistogram`
//! crate cell for cell, so quantiles equal a reference histogram fed the
//! same values; with a precision in bits (the default) quantiles are
//! within half a cell of the exact ones; out-of-range values are clamped
//! and counted, never dropped.

use std::time::Duration;

use hdrhistogram::Histogram as Reference;
use rand::{Rng, SeedableRng};
use tally_core::{Histogram, HistogramConfig};

const QUANTILES: &[f64] = &[0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0];

/// Values spread over many orders of magnitude (log-uniform), as latencies are.
fn values(n: usize, highest: u64, seed: u64) -> Vec<u64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let max_exp = (highest as f64).log2();
    (0..n)
        .map(|_| 2f64.powf(rng.random_range(0.0..max_exp)) as u64)
        .collect()
}

fn check(config: HistogramConfig, seed: u64) {
    let (lowest, highest, precision) =
        (config.lowest(), config.highest(), config.precision_digits());
    let ours = Histogram::<()>::with_config(config).unwrap();
    let mut reference = Reference::<u64>::new_with_bounds(lowest, highest, precision).unwrap();
    for v in values(50_000, highest, seed) {
        ours.record(v);
        reference.record(v).unwrap();
    }
    let snap = ours.snapshot();
    let hdr = snap.hdr();
    // Same cells, same counts.
    let ours_cells: Vec<_> = hdr
        .iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect();
    let ref_cells: Vec<_> = reference
        .iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect();
    assert_eq!(ours_cells, ref_cells, "{config:?}");
    assert_eq!(
        hdr.distinct_values(),
        reference.distinct_values(),
        "counts array length"
    );
    for &q in QUANTILES {
        let (got, want) = (snap.value_at_quantile(q), reference.value_at_quantile(q));
        assert_eq!(got, want, "q={q} {config:?}");
    }
    // Exact aggregates, and within-precision agreement with them.
    assert_eq!(snap.count(), reference.len());
    assert!(reference.equivalent(snap.max(), reference.max()));
    assert!(reference.equivalent(snap.min(), reference.min()));
    let bucket_total: u64 = snap.cells().map(|b| b.count).sum();
    assert_eq!(bucket_total, snap.count());
}

#[test]
fn matches_reference_at_every_precision() {
    for precision in 1..=5 {
        check(
            HistogramConfig::raw(1, 1 << 36).with_precision_digits(precision),
            precision as u64,
        );
    }
}

/// A precision in bits: every quantile within half a cell (`1/2^(bits+1)`
/// of the value) of the exact one, and within that plus the reference's
/// own error of an `hdrhistogram` at the digits `precision_digits` names.
fn check_bits(config: HistogramConfig, seed: u64) {
    let (lowest, highest) = (config.lowest(), config.highest());
    let bits = config.precision_bits();
    let ours = Histogram::<()>::with_config(config).unwrap();
    let mut reference =
        Reference::<u64>::new_with_bounds(lowest, highest, config.precision_digits()).unwrap();
    let mut exact = values(50_000, highest, seed);
    for &v in &exact {
        ours.record(v);
        reference.record(v).unwrap();
    }
    exact.sort_unstable();
    let snap = ours.snapshot();
    assert_eq!(snap.count(), exact.len() as u64);
    assert_eq!(snap.sum(), exact.iter().sum::<u64>());
    // Below `2^bits` units a cell is one unit wide, reported at its top;
    // where the reference's cells are ours (17 bits = 5 digits) a
    // quantile is reported at the cell's top, as `hdrhistogram` does.
    let unit = 1u64 << lowest.ilog2();
    let shift = if bits >= 17 { bits } else { bits + 1 };
    let half_cell = |v: u64| (v >> shift).max(unit);
    for &q in QUANTILES {
        let rank = ((q * exact.len() as f64).ceil() as usize).clamp(1, exact.len());
        let want = exact[rank - 1];
        let got = snap.value_at_quantile(q);
        assert!(
            got.abs_diff(want) <= half_cell(want),
            "q={q}: {got} vs exact {want} ({config:?})"
        );
        let reference = reference.value_at_quantile(q);
        let reference_error = reference >> (config.precision_digits() as u32 * 3 + 1);
        assert!(
            got.abs_diff(reference) <= half_cell(want) + reference_error + 1,
            "q={q}: {got} vs hdrhistogram {reference} ({config:?})"
        );
    }
}

#[test]
fn quantiles_are_within_half_a_cell_at_every_precision_in_bits() {
    for bits in 2..=17 {
        check_bits(
            HistogramConfig::raw(1, 1 << 36).with_precision_bits(bits),
            u64::from(bits),
        );
    }
}

#[test]
fn default_precision_keeps_quantiles_within_two_percent_of_hdrhistogram() {
    let config = HistogramConfig::seconds();
    assert_eq!(config.precision_bits(), 5);
    check_bits(config, 11);
    // The stated bound: half a cell is 1/64 of the value, and the
    // reference at 2 digits is itself within 1/128.
    let ours = Histogram::<()>::new();
    let mut reference = Reference::<u64>::new_with_bounds(1, 3_600_000_000_000, 2).unwrap();
    for v in values(50_000, 10_000_000_000, 12) {
        ours.record(v);
        reference.record(v).unwrap();
    }
    let snap = ours.snapshot();
    for &q in QUANTILES {
        let (got, want) = (snap.value_at_quantile(q), reference.value_at_quantile(q));
        let error = got.abs_diff(want) as f64 / want.max(1) as f64;
        assert!(error <= 0.024, "q={q}: {got} vs {want}: {error}");
    }
}

#[test]
fn matches_reference_with_a_coarse_lowest_value() {
    check(
        HistogramConfig::raw(1_000, 1 << 40).with_precision_digits(3),
        7,
    );
    check(
        HistogramConfig::seconds()
            .with_precision_digits(2)
            .with_lowest(1_024),
        8,
    );
    check_bits(HistogramConfig::seconds().with_lowest(1_024), 8);
}

#[test]
fn default_config_tracks_nanoseconds_to_an_hour() {
    check_bits(HistogramConfig::seconds(), 9);
    let h = Histogram::<()>::new();
    h.record_duration(Duration::from_secs(3_600));
    h.record_duration(Duration::from_nanos(1));
    assert_eq!(h.clamped(), 0);
    let snap = h.snapshot();
    assert_eq!((snap.min(), snap.max()), (1, 3_600_000_000_000));
    assert!((snap.sum_scaled() - 3_600.000_000_001).abs() < 1e-6);
}

#[test]
fn out_of_range_values_are_clamped_and_counted() {
    let h = Histogram::<()>::with_config(HistogramConfig::raw(1, 1_000)).unwrap();
    h.record(5);
    h.record(1_001);
    h.record(u64::MAX);
    h.record_f64(-3.0);
    h.record_f64(f64::NAN);
    h.record_f64(f64::INFINITY);
    assert_eq!(h.clamped(), 5);
    let snap = h.snapshot();
    assert_eq!(snap.count(), 6, "clamped values are recorded, not dropped");
    assert_eq!(snap.max(), 1_000);
    assert_eq!(snap.min(), 0);
    assert_eq!(snap.sum(), 5 + 3 * 1_000);
}

#[test]
fn record_duration_converts_to_the_recording_unit() {
    let micros =
        Histogram::<()>::with_config(HistogramConfig::raw(1, 1 << 40).with_scale(1e6)).unwrap();
    micros.record_duration(Duration::from_millis(3));
    assert_eq!(micros.snapshot().sum(), 3_000);
    let nanos = Histogram::<()>::new();
    nanos.record_duration(Duration::from_micros(7));
    assert_eq!(nanos.snapshot().sum(), 7_000);
    nanos.record_f64(0.5);
    assert_eq!(nanos.snapshot().sum(), 500_007_000);
}

#[test]
fn coordinated_omission_correction_matches_reference() {
    let ours =
        Histogram::<()>::with_config(HistogramConfig::raw(1, 1 << 30).with_precision_digits(3))
            .unwrap();
    let mut reference = Reference::<u64>::new_with_bounds(1, 1 << 30, 3).unwrap();
    for v in [100, 250, 10_000, 99, 1_234_567] {
        ours.record_correct(v, 100);
        reference.record_correct(v, 100).unwrap();
    }
    let snap = ours.snapshot();
    assert_eq!(snap.count(), reference.len());
    for &q in QUANTILES {
        assert_eq!(
            snap.value_at_quantile(q),
            reference.value_at_quantile(q),
            "q={q}"
        );
    }
}

#[test]
fn count_at_or_below_matches_reference_count_between() {
    let ours =
        Histogram::<()>::with_config(HistogramConfig::raw(1, 1 << 36).with_precision_digits(2))
            .unwrap();
    let mut reference = Reference::<u64>::new_with_bounds(1, 1 << 36, 2).unwrap();
    for v in values(10_000, 1 << 36, 3) {
        ours.record(v);
        reference.record(v).unwrap();
    }
    let snap = ours.snapshot();
    for bound in [0, 1, 2, 100, 1_000, 5_000_000, 1 << 30, 1 << 36] {
        assert_eq!(
            snap.count_at_or_below(bound),
            reference.count_between(0, bound),
            "bound {bound}"
        );
    }
}

#[test]
fn cumulative_counts_match_reference_in_one_pass() {
    let ours =
        Histogram::<()>::with_config(HistogramConfig::raw(1, 1 << 36).with_precision_digits(2))
            .unwrap();
    let mut reference = Reference::<u64>::new_with_bounds(1, 1 << 36, 2).unwrap();
    for v in values(20_000, 1 << 36, 5) {
        ours.record(v);
        reference.record(v).unwrap();
    }
    let snap = ours.snapshot();
    // Ascending thresholds, including repeats, values past the highest and
    // thresholds between two cells of one bucket.
    let thresholds: Vec<u64> = [
        0,
        0,
        1,
        3,
        999,
        1_000,
        5_000_000,
        5_000_001,
        1 << 30,
        1 << 36,
        u64::MAX,
    ]
    .to_vec();
    let got: Vec<u64> = snap.cumulative_counts(&thresholds).collect();
    let want: Vec<u64> = thresholds
        .iter()
        .map(|&t| reference.count_between(0, t.min(1 << 36)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(*got.last().unwrap(), snap.count());
}

#[test]
fn invalid_configurations_are_errors() {
    assert!(Histogram::<()>::with_config(HistogramConfig::raw(0, 10)).is_err());
    assert!(Histogram::<()>::with_config(HistogramConfig::raw(10, 19)).is_err());
    assert!(
        Histogram::<()>::with_config(HistogramConfig::raw(1, 100).with_precision_digits(0))
            .is_err()
    );
    assert!(
        Histogram::<()>::with_config(HistogramConfig::raw(1, 100).with_precision_digits(6))
            .is_err()
    );
    assert!(
        Histogram::<()>::with_config(HistogramConfig::raw(1, 100).with_precision_bits(1)).is_err()
    );
    assert!(
        Histogram::<()>::with_config(HistogramConfig::raw(1, 100).with_precision_bits(18)).is_err()
    );
    assert!(Histogram::<()>::with_config(HistogramConfig::raw(1, 100).with_scale(0.0)).is_err());
    assert!(Histogram::<()>::with_config(
        HistogramConfig::raw(1, 100).with_classic_buckets(&[2.0, 1.0])
    )
    .is_err());
    assert!(
        Histogram::<()>::with_config(HistogramConfig::raw(1, 100).with_quantiles(&[1.5])).is_err()
    );
}

#[test]
fn shards_with_disjoint_ranges_merge_exactly() {
    // Each thread records into its own shard a range the others don't
    // touch, so the merge must widen its cell range below and above.
    let ours =
        Histogram::<()>::with_config(HistogramConfig::raw(1, 1 << 40).with_precision_digits(2))
            .unwrap();
    let mut reference = Reference::<u64>::new_with_bounds(1, 1 << 40, 2).unwrap();
    let ranges: [(u64, u64); 4] = [
        (1 << 20, 1 << 22),
        (1, 100),
        (1 << 35, 1 << 39),
        (5_000, 9_000),
    ];
    std::thread::scope(|s| {
        for &(lo, hi) in &ranges {
            let ours = &ours;
            s.spawn(move || {
                for v in (lo..=hi).step_by(((hi - lo) / 500).max(1) as usize) {
                    ours.record(v);
                }
            });
        }
    });
    for &(lo, hi) in &ranges {
        for v in (lo..=hi).step_by(((hi - lo) / 500).max(1) as usize) {
            reference.record(v).unwrap();
        }
    }
    let snap = ours.snapshot();
    assert_eq!(snap.count(), reference.len());
    let ours_cells: Vec<_> = snap
        .hdr()
        .iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect();
    let ref_cells: Vec<_> = reference
        .iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect();
    assert_eq!(ours_cells, ref_cells);
    for bound in [0, 50, 100, 7_000, 1 << 21, 1 << 30, 1 << 38, u64::MAX] {
        assert_eq!(
            snap.count_at_or_below(bound),
            reference.count_between(0, bound.min(1 << 40)),
            "{bound}"
        );
    }
}

/// Shards whose pages span different ranges (one thread low values, one
/// high, one in between with a gap of untouched pages) merge into the
/// cells a single writer would have: every bucket, count, sum, min and
/// max, and the labeled family's collection (one buffer for all series)
/// agrees with each series' own snapshot.
#[test]
fn shards_with_disjoint_spans_merge_into_the_cells_of_one_writer() {
    use tally_core::{Metric, Value};
    let values: [&[u64]; 3] = [
        &[1_000, 1_500, 3_000, 40_000],
        &[5_000_000_000, 7_000_000_000, 9_999_999_999],
        &[2_000_000, 2_100_000, 1_000, 40_000],
    ];
    let merged = Histogram::<()>::new();
    let single = Histogram::<()>::new();
    std::thread::scope(|s| {
        for vs in values {
            let merged = &merged;
            s.spawn(move || vs.iter().for_each(|&v| merged.record(v)));
        }
    });
    values
        .iter()
        .flat_map(|vs| vs.iter())
        .for_each(|&v| single.record(v));
    let (m, o) = (merged.snapshot(), single.snapshot());
    assert_eq!(m.cells().collect::<Vec<_>>(), o.cells().collect::<Vec<_>>());
    assert_eq!(
        (m.count(), m.sum(), m.min(), m.max()),
        (o.count(), o.sum(), o.min(), o.max())
    );
    assert_eq!(m.count(), 11);

    // A labeled family: series written from different threads and left
    // empty, collected at once.
    let family = Histogram::<bool>::new();
    std::thread::scope(|s| {
        s.spawn(|| family.with(true).record(1_000));
        s.spawn(|| family.with(true).record(9_000_000_000));
    });
    let collected = family.collect().unwrap();
    assert_eq!(
        collected.series.len(),
        1,
        "only the series written is listed"
    );
    let Value::Histogram(h) = &collected.series[0].value else {
        panic!("a histogram value")
    };
    let own = family.with(true).snapshot();
    assert_eq!(
        h.cells().collect::<Vec<_>>(),
        own.cells().collect::<Vec<_>>()
    );
    assert_eq!((h.count(), h.sum()), (2, 9_000_001_000));
}
