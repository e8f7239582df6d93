//! issue 21: with an idle timeout, a `metrics` name churn (200,000
//! distinct names over time, as a crate formatting an id into its metric
//! names would make, each with label values of its own) keeps the
//! recorder's names and the heap bounded: expired names free their
//! families, label values and registrations, and label descriptions are
//! shared per key set. The heap bytes in use (a counting allocator, this
//! binary's own) are compared after 50 of 200 batches and at the end, and
//! printed with RssAnon.
#![cfg(all(feature = "metrics-recorder", target_os = "linux"))]

use std::time::{Duration, Instant};

use tally_core::__test_hooks::{rss_anon_bytes, CountingAlloc};
use tally_core::Registry;
use tally_export::{encode, DroppedReason, ExpiredWhat, Format, TallyRecorder, DEFAULT_MAX_NAMES};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// `RssAnon` of this process, in KiB: heap growth, without file pages.
fn rss_anon_kib() -> u64 {
    rss_anon_bytes().expect("RssAnon in /proc/self/status") / 1024
}

#[test]
fn a_200k_name_churn_with_idle_expiry_keeps_names_and_heap_bounded() {
    const NAMES: usize = 200_000;
    const BATCH: usize = 1_000;
    const IDLE: Duration = Duration::from_millis(1);
    const WARM: usize = 50;
    let registry: &'static Registry = Box::leak(Box::default());
    let recorder = TallyRecorder::new(registry).idle_timeout(IDLE).unwrap();
    let mut out = Vec::new();
    // A text scrape, or a snapshot only (what every exporter reads; the
    // encoding is most of a scrape's time in a debug build).
    let scrape = |out: &mut Vec<u8>, text: bool| {
        out.clear();
        let snapshot = registry.snapshot();
        if text {
            encode(Format::PrometheusText, &snapshot, out);
        }
    };
    let start = Instant::now();
    let rss_before = rss_anon_kib();
    let mut heap_warm = 0;
    let mut max_names = 0;
    let mut max_scrape = 0;
    for batch in 0..NAMES / BATCH {
        metrics::with_local_recorder(&recorder, || {
            for i in batch * BATCH..(batch + 1) * BATCH {
                // Three key sets, label values of each name's own.
                match i % 10 {
                    0..=4 => metrics::counter!(format!("churn_{i}_total"), "id" => i.to_string())
                        .increment(1),
                    5..=8 => {
                        metrics::gauge!(format!("churn_{i}"), "id" => i.to_string(), "shard" => "a")
                            .set(1.0)
                    }
                    _ => metrics::histogram!(format!("churn_{i}_seconds")).record(0.01),
                }
            }
        });
        max_names = max_names.max(recorder.names());
        // The export that reads the values, the one that removes the
        // series (idle since), the one that removes the names.
        for s in 0..3 {
            scrape(&mut out, s == 0 && batch % 10 == 0);
            max_scrape = max_scrape.max(out.len());
            recorder.advance_clock(2 * IDLE);
        }
        // Warm: the maps and vectors that are reused reached their size.
        if batch == WARM - 1 {
            heap_warm = CountingAlloc::live();
        }
    }
    let heap_end = CountingAlloc::live();
    let rss_grown = rss_anon_kib().saturating_sub(rss_before);
    eprintln!(
        "churn: {NAMES} names in batches of {BATCH}, idle {IDLE:?}: {:?}; names at most {max_names}, \
         {} now; heap after batch {WARM} {heap_warm} B, at the end {heap_end} B ({:+} B); \
         RssAnon +{rss_grown} KiB; largest scrape {max_scrape} B; {} series and {} names expired",
        start.elapsed(),
        recorder.names(),
        heap_end - heap_warm,
        recorder.expired(ExpiredWhat::Series),
        recorder.expired(ExpiredWhat::Name),
    );
    assert!(max_names <= BATCH.min(DEFAULT_MAX_NAMES), "{max_names}");
    assert_eq!(recorder.names(), 0);
    assert_eq!(recorder.expired(ExpiredWhat::Name), NAMES as u64);
    assert_eq!(recorder.expired(ExpiredWhat::Series), NAMES as u64);
    assert_eq!(recorder.dropped(DroppedReason::TooManyNames), 0);
    // Flat after warm-up: 150,000 more names left at most 128 KiB behind.
    // The bound is what the maps may still do: the family map holds up to
    // 1,000 live names, so it may double once, at any batch, from 1,024
    // to 2,048 buckets of 32 bytes (+67,584 B, seen in CI), and never
    // again (2,048 buckets take 1,792). A leak of even one byte per name
    // would be 150,000 B, over the bound.
    assert!(
        heap_end - heap_warm < 128 * 1024,
        "heap grew {} B",
        heap_end - heap_warm
    );
    assert!(rss_grown < 64 * 1024, "RssAnon grew {rss_grown} KiB");
}
