//! issue 21: a `metrics` name flood (200,000 distinct names, as a crate
//! formatting an id into its metric names would make) stays bounded.
//! Its own test binary, so its process's RSS is this test's alone.
#![cfg(all(feature = "metrics-recorder", target_os = "linux"))]

use std::time::Instant;

use tally_core::__test_hooks::rss_anon_bytes;
use tally_core::Registry;
use tally_export::{encode, DroppedReason, Format, TallyRecorder, DEFAULT_MAX_NAMES};

/// `RssAnon` of this process, in KiB: heap growth, without file pages.
fn rss_anon_kib() -> u64 {
    rss_anon_bytes().expect("RssAnon in /proc/self/status") / 1024
}

fn flood(recorder: &TallyRecorder, names: usize) {
    metrics::with_local_recorder(recorder, || {
        for i in 0..names {
            metrics::counter!(format!("dyn_name_{i}_total")).increment(1);
            // And as many invalid names, each refused.
            metrics::counter!(format!("dyn.name.{i}")).increment(1);
        }
    });
}

#[test]
fn a_200k_name_flood_stays_under_64_mib_and_is_counted() {
    let registry: &'static Registry = Box::leak(Box::default());
    let recorder = TallyRecorder::new(registry);
    let before = rss_anon_kib();
    flood(&recorder, 200_000);
    let grown = rss_anon_kib().saturating_sub(before);
    let start = Instant::now();
    let mut out = Vec::new();
    encode(Format::PrometheusText, &registry.snapshot(), &mut out);
    let text = String::from_utf8(out).unwrap();
    let scrape = start.elapsed();
    eprintln!(
        "flood: 200000 names + 200000 invalid names: RssAnon +{grown} KiB, \
         {} families, scrape {} bytes in {scrape:?}",
        recorder.names(),
        text.len()
    );
    assert!(grown < 64 * 1024, "RssAnon grew {grown} KiB");
    assert_eq!(recorder.names(), DEFAULT_MAX_NAMES);
    assert_eq!(
        recorder.dropped(DroppedReason::TooManyNames),
        (200_000 - DEFAULT_MAX_NAMES) as u64
    );
    assert_eq!(recorder.dropped(DroppedReason::InvalidName), 200_000);
    assert!(recorder.refused_names() <= tally_export::DEFAULT_MAX_REFUSED);
    assert!(text.contains("tally_metrics_recorder_dropped_total{reason=\"too_many_names\"} 198976"));
}

/// The same flood without a name cap (what the recorder did before
/// `max_names`), at a tenth of the size: run with `--ignored` for the
/// comparison figure.
#[test]
#[ignore = "a comparison figure; allocates a lot"]
fn a_20k_name_flood_without_a_name_cap_for_comparison() {
    let registry: &'static Registry = Box::leak(Box::default());
    let recorder = TallyRecorder::new(registry).max_names(usize::MAX).unwrap();
    let before = rss_anon_kib();
    flood(&recorder, 20_000);
    let grown = rss_anon_kib().saturating_sub(before);
    let start = Instant::now();
    let mut out = Vec::new();
    encode(Format::PrometheusText, &registry.snapshot(), &mut out);
    let text = String::from_utf8(out).unwrap();
    eprintln!(
        "unbounded: 20000 names: RssAnon +{grown} KiB, {} families, scrape {} bytes in {:?}",
        recorder.names(),
        text.len(),
        start.elapsed()
    );
}
