//! The HDR layout matches the `hdrhistogram` crate cell for cell, so
//! quantiles equal a reference histogram fed the same values; out-of-range
//! values are clamped and counted, never dropped.

use std::time::Duration;

use hdrhistogram::Histogram as Reference;
use metrics_core::{Histogram, HistogramConfig};
use rand::{Rng, SeedableRng};

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
    let (lowest, highest, precision) = (
        config.lowest_value(),
        config.highest_value(),
        config.precision_digits(),
    );
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
    let bucket_total: u64 = snap.buckets().map(|b| b.count).sum();
    assert_eq!(bucket_total, snap.count());
}

#[test]
fn matches_reference_at_every_precision() {
    for precision in 1..=5 {
        check(
            HistogramConfig::raw(1, 1 << 36).precision(precision),
            precision as u64,
        );
    }
}

#[test]
fn matches_reference_with_a_coarse_lowest_value() {
    check(HistogramConfig::raw(1_000, 1 << 40).precision(3), 7);
    check(HistogramConfig::seconds().lowest(1_024), 8);
}

#[test]
fn default_config_tracks_nanoseconds_to_an_hour() {
    check(HistogramConfig::seconds(), 9);
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
    let micros = Histogram::<()>::with_config(HistogramConfig::raw(1, 1 << 40).scale(1e6)).unwrap();
    micros.record_duration(Duration::from_millis(3));
    assert_eq!(micros.snapshot().max(), 3_000);
    let nanos = Histogram::<()>::new();
    nanos.record_duration(Duration::from_micros(7));
    assert_eq!(nanos.snapshot().max(), 7_000);
    nanos.record_f64(0.5);
    assert_eq!(nanos.snapshot().max(), 500_000_000);
}

#[test]
fn coordinated_omission_correction_matches_reference() {
    let ours = Histogram::<()>::with_config(HistogramConfig::raw(1, 1 << 30).precision(3)).unwrap();
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
    let ours = Histogram::<()>::with_config(HistogramConfig::raw(1, 1 << 36)).unwrap();
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
    let ours = Histogram::<()>::with_config(HistogramConfig::raw(1, 1 << 36)).unwrap();
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
    assert!(Histogram::<()>::with_config(HistogramConfig::raw(1, 100).precision(0)).is_err());
    assert!(Histogram::<()>::with_config(HistogramConfig::raw(1, 100).precision(6)).is_err());
    assert!(Histogram::<()>::with_config(HistogramConfig::raw(1, 100).scale(0.0)).is_err());
    assert!(
        Histogram::<()>::with_config(HistogramConfig::raw(1, 100).buckets(&[2.0, 1.0])).is_err()
    );
    assert!(Histogram::<()>::with_config(HistogramConfig::raw(1, 100).quantiles(&[1.5])).is_err());
}
