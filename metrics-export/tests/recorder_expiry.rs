//! The `metrics` recorder's opt-in idle expiry (issue 21): idle series and
//! names are removed after an export read their last value, label-value
//! slots are reused, names come back from zero, every encoder names the
//! values of a reused slot right, and concurrent writers, a scraper and
//! expiry keep totals exact for series that never idle. Time is the
//! recorder's clock, advanced by the test.
#![cfg(feature = "metrics-recorder")]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tally_core::Registry;
use tally_export::{encode, DroppedReason, ExpiredWhat, Format, RecorderError, TallyRecorder};

fn leaked_registry() -> &'static Registry {
    Box::leak(Box::default())
}

fn scrape(registry: &Registry, format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    encode(format, &registry.snapshot(), &mut out);
    out
}

fn text(registry: &Registry) -> String {
    String::from_utf8(scrape(registry, Format::PrometheusText)).unwrap()
}

/// The sample lines of `text` whose name starts with `name` (no comments).
fn samples(text: &str, name: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with(name))
        .map(str::to_owned)
        .collect()
}

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn zero_idle_timeout_is_an_error() {
    let recorder = TallyRecorder::new(leaked_registry());
    assert!(matches!(
        recorder.idle_timeout(Duration::ZERO),
        Err(RecorderError::ZeroIdleTimeout)
    ));
}

#[test]
fn an_idle_series_goes_after_its_last_value_was_exported_and_comes_back_from_zero() {
    let registry = leaked_registry();
    let recorder = TallyRecorder::new(registry)
        .idle_timeout(60 * SECOND)
        .unwrap();
    let (idle, busy) = metrics::with_local_recorder(&recorder, || {
        (
            metrics::counter!("jobs_total", "queue" => "idle"),
            metrics::counter!("jobs_total", "queue" => "busy"),
        )
    });
    idle.increment(5);
    busy.increment(1);
    let t = text(registry);
    assert!(t.contains("jobs_total{queue=\"idle\"} 5\n"), "{t}");
    assert!(t.contains("jobs_total{queue=\"busy\"} 1\n"), "{t}");
    // Within the idle time: still there.
    recorder.advance_clock(30 * SECOND);
    busy.increment(1);
    assert!(text(registry).contains("jobs_total{queue=\"idle\"} 5\n"));
    // Past it since the export that read 5: gone; the busy one stays.
    recorder.advance_clock(31 * SECOND);
    busy.increment(1);
    let t = text(registry);
    assert_eq!(
        samples(&t, "jobs_total"),
        ["jobs_total{queue=\"busy\"} 3"],
        "{t}"
    );
    assert_eq!(recorder.expired(ExpiredWhat::Series), 1);
    // Counted in the scrape that removed it, exposed from the next one
    // (the telemetry family is read first).
    assert!(text(registry).contains("tally_metrics_recorder_expired_total{what=\"series\"} 1\n"));
    // A handle kept across the removal writes into a detached cell.
    idle.increment(100);
    assert!(!text(registry).contains("queue=\"idle\""));
    // Registered again: from zero.
    let again = metrics::with_local_recorder(
        &recorder,
        || metrics::counter!("jobs_total", "queue" => "idle"),
    );
    again.increment(2);
    assert!(text(registry).contains("jobs_total{queue=\"idle\"} 2\n"));
    // A write after the last export, then a long silence: the next export
    // shows it (the count changed), and only a later one removes it.
    again.increment(1);
    recorder.advance_clock(1000 * SECOND);
    busy.increment(1);
    assert!(text(registry).contains("jobs_total{queue=\"idle\"} 3\n"));
    recorder.advance_clock(61 * SECOND);
    busy.increment(1);
    let t = text(registry);
    assert_eq!(
        samples(&t, "jobs_total"),
        ["jobs_total{queue=\"busy\"} 5"],
        "{t}"
    );
    assert_eq!(recorder.expired(ExpiredWhat::Series), 2);
}

#[test]
fn gauges_and_histograms_expire_too() {
    let registry = leaked_registry();
    let recorder = TallyRecorder::new(registry).idle_timeout(SECOND).unwrap();
    metrics::with_local_recorder(&recorder, || {
        metrics::gauge!("depth", "q" => "a").set(4.0);
        metrics::histogram!("wait_seconds", "q" => "a").record(0.5);
    });
    let t = text(registry);
    assert!(t.contains("depth{q=\"a\"} 4\n"), "{t}");
    assert!(t.contains("wait_seconds_count{q=\"a\"} 1\n"), "{t}");
    recorder.advance_clock(2 * SECOND);
    let t = text(registry);
    assert!(!t.contains("q=\"a\""), "{t}");
    assert_eq!(recorder.expired(ExpiredWhat::Series), 2);
}

/// 100 distinct values over time, at most 4 live at once, with
/// `max_series` 4: slots are reused, so no overflow with expiry; without
/// it, the fifth value overflows.
fn hundred_values(expiry: bool) -> (String, TallyRecorder, &'static Registry) {
    let registry = leaked_registry();
    let mut recorder = TallyRecorder::new(registry).max_series(4).unwrap();
    if expiry {
        recorder = recorder.idle_timeout(8 * SECOND).unwrap();
    }
    let mut last = String::new();
    for i in 0..100 {
        metrics::with_local_recorder(&recorder, || {
            metrics::counter!("logins_total", "user" => format!("u{i}")).increment(1)
        });
        last = text(registry);
        assert!(
            !expiry || last.contains(&format!("logins_total{{user=\"u{i}\"}} 1\n")),
            "{i}: {last}"
        );
        assert!(
            !expiry || !last.contains("=\"__overflow__\""),
            "{i}: {last}"
        );
        recorder.advance_clock(3 * SECOND);
    }
    (last, recorder, registry)
}

#[test]
fn label_value_slots_are_reused_so_churn_never_overflows() {
    let (last, recorder, _) = hundred_values(true);
    let live = samples(&last, "logins_total");
    assert_eq!(
        live,
        [
            "logins_total{user=\"u97\"} 1",
            "logins_total{user=\"u98\"} 1",
            "logins_total{user=\"u99\"} 1"
        ],
        "{last}"
    );
    assert!(!last.contains("tally_metrics_recorder_series_overflow_total{"));
    assert_eq!(recorder.expired(ExpiredWhat::Series), 97);
    // Without expiry the same churn overflows after 4 values.
    let (last, _, _) = hundred_values(false);
    assert!(
        last.contains("logins_total{user=\"__overflow__\"} 96\n"),
        "{last}"
    );
}

#[test]
fn a_reused_slot_is_named_by_its_new_value_in_every_format() {
    let registry = leaked_registry();
    let recorder = TallyRecorder::new(registry)
        .max_series(1)
        .unwrap()
        .idle_timeout(SECOND)
        .unwrap();
    let record = |value: &str| {
        metrics::with_local_recorder(&recorder, || {
            metrics::counter!("mails_total", "to" => value.to_owned()).increment(7)
        })
    };
    record("alice-old");
    assert!(text(registry).contains("mails_total{to=\"alice-old\"} 7\n"));
    recorder.advance_clock(2 * SECOND);
    text(registry);
    // The only slot, freed, now holds another value.
    record("bob-new");
    let has = |bytes: &[u8], s: &str| bytes.windows(s.len()).any(|w| w == s.as_bytes());
    for format in [
        Format::PrometheusText,
        Format::OpenMetrics,
        Format::Protobuf,
        Format::Json,
    ] {
        let out = scrape(registry, format);
        assert!(has(&out, "bob-new"), "{format:?}");
        assert!(!has(&out, "alice-old"), "{format:?}");
    }
    #[cfg(feature = "protobuf")]
    {
        let request = tally_export::otlp_request(
            &registry.snapshot(),
            &tally_export::OtlpOptions::default(),
            std::time::SystemTime::now(),
        );
        let debug = format!("{request:?}");
        assert!(debug.contains("bob-new"), "{debug}");
        assert!(!debug.contains("alice-old"));
    }
    let t = text(registry);
    assert!(t.contains("mails_total{to=\"bob-new\"} 7\n"), "{t}");
    assert!(!t.contains("=\"__overflow__\""), "{t}");
}

#[test]
fn an_idle_name_goes_frees_its_place_under_max_names_and_comes_back_from_zero() {
    let registry = leaked_registry();
    let recorder = TallyRecorder::new(registry)
        .max_names(2)
        .unwrap()
        .idle_timeout(10 * SECOND)
        .unwrap();
    let record = |name: &'static str, n: u64| {
        metrics::with_local_recorder(&recorder, || metrics::counter!(name).increment(n))
    };
    record("a_total", 3);
    record("b_total", 4);
    record("c_total", 1);
    assert_eq!(recorder.dropped(DroppedReason::TooManyNames), 1);
    let t = text(registry);
    assert!(
        t.contains("a_total 3\n") && t.contains("b_total 4\n"),
        "{t}"
    );
    // a and b go idle: their series go, then their names.
    recorder.advance_clock(11 * SECOND);
    let t = text(registry);
    assert!(!t.contains("a_total 3") && !t.contains("b_total 4"), "{t}");
    assert_eq!(recorder.names(), 2, "names stay until idle without series");
    recorder.advance_clock(11 * SECOND);
    text(registry);
    assert_eq!(recorder.names(), 0);
    assert_eq!(recorder.expired(ExpiredWhat::Name), 2);
    let t = text(registry);
    assert!(
        !t.contains("# TYPE a counter") && !t.contains("# TYPE b counter"),
        "{t}"
    );
    assert!(
        t.contains("tally_metrics_recorder_expired_total{what=\"name\"} 2\n"),
        "{t}"
    );
    // The places are free: c fits now, and a comes back from zero.
    record("c_total", 5);
    record("a_total", 1);
    let t = text(registry);
    assert!(
        t.contains("c_total 5\n") && t.contains("a_total 1\n"),
        "{t}"
    );
    assert_eq!(recorder.dropped(DroppedReason::TooManyNames), 1);
    // A name as a gauge now: a name that expired may change kind.
    recorder.advance_clock(11 * SECOND);
    text(registry);
    recorder.advance_clock(11 * SECOND);
    text(registry);
    assert_eq!(recorder.names(), 0);
    metrics::with_local_recorder(&recorder, || metrics::gauge!("a").set(2.0));
    assert!(text(registry).contains("# TYPE a gauge\na 2\n"));
}

#[test]
fn a_full_name_cap_sweeps_idle_names_before_dropping_a_new_one() {
    let registry = leaked_registry();
    let recorder = TallyRecorder::new(registry)
        .max_names(1)
        .unwrap()
        .idle_timeout(SECOND)
        .unwrap();
    metrics::with_local_recorder(&recorder, || metrics::counter!("a_total").increment(1));
    text(registry);
    recorder.advance_clock(2 * SECOND);
    text(registry); // a's series goes; a has no series since now
    recorder.advance_clock(2 * SECOND);
    // No scrape: the new name sweeps a.
    metrics::with_local_recorder(&recorder, || metrics::counter!("b_total").increment(1));
    assert_eq!(recorder.dropped(DroppedReason::TooManyNames), 0);
    assert_eq!(recorder.expired(ExpiredWhat::Name), 1);
    let t = text(registry);
    assert!(
        t.contains("b_total 1\n") && !t.contains("# TYPE a counter"),
        "{t}"
    );
}

#[test]
fn label_key_sets_are_bounded_by_max_names() {
    let registry = leaked_registry();
    let recorder = TallyRecorder::new(registry)
        .max_names(2)
        .unwrap()
        .idle_timeout(SECOND)
        .unwrap();
    let churn = |i: usize, key: &'static str| {
        metrics::with_local_recorder(&recorder, || {
            metrics::counter!(format!("n{i}_total"), key => "v").increment(1)
        });
        for _ in 0..3 {
            text(registry);
            recorder.advance_clock(2 * SECOND);
        }
    };
    // Many names over two key sets: fine, shared descriptions.
    for i in 0..10 {
        churn(i, if i % 2 == 0 { "x" } else { "y" });
    }
    assert_eq!(recorder.expired(ExpiredWhat::Name), 10);
    assert_eq!(recorder.dropped(DroppedReason::TooManyKeySets), 0);
    // A third key set does not fit.
    churn(10, "z");
    assert_eq!(recorder.dropped(DroppedReason::TooManyKeySets), 1);
    assert!(!text(registry).contains("n10_total"));
}

#[test]
fn writers_a_scraper_and_expiry_keep_totals_exact_for_series_that_never_idle() {
    let registry = leaked_registry();
    let recorder = Arc::new(
        TallyRecorder::new(registry)
            .max_series(16)
            .unwrap()
            .idle_timeout(3 * SECOND)
            .unwrap(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let progress: Arc<[AtomicU64; 2]> = Arc::new(Default::default());
    let writers: Vec<_> = (0..2)
        .map(|t| {
            let (recorder, stop, progress) = (recorder.clone(), stop.clone(), progress.clone());
            std::thread::spawn(move || {
                let (own, shared, hist) = metrics::with_local_recorder(&*recorder, || {
                    (
                        metrics::counter!("steady_total", "writer" => t.to_string()),
                        metrics::counter!("shared_total"),
                        metrics::histogram!("steady_seconds", "writer" => t.to_string()),
                    )
                });
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    own.increment(1);
                    shared.increment(1);
                    hist.record(0.001);
                    // Churn: series and names used once, left to expire.
                    metrics::with_local_recorder(&*recorder, || {
                        metrics::counter!("churn_total", "id" => format!("{t}-{n}")).increment(1);
                        if n % 50 == 0 {
                            metrics::gauge!(format!("churn_name_{t}_{n}")).set(1.0);
                        }
                    });
                    n += 1;
                    progress[t].store(n, Ordering::Release);
                }
                n
            })
        })
        .collect();
    // The scraper moves the clock one second per scrape, only once each
    // writer completed a loop that started after the previous scrape: a
    // steady series changes between any two scrapes, so it never idles.
    let start = std::time::Instant::now();
    let mut scrapes = 0;
    while start.elapsed() < Duration::from_secs(1) {
        let seen: Vec<u64> = progress.iter().map(|p| p.load(Ordering::Acquire)).collect();
        text(registry);
        scrapes += 1;
        while progress
            .iter()
            .zip(&seen)
            .any(|(p, s)| p.load(Ordering::Acquire) < s + 2)
        {
            std::thread::yield_now();
        }
        recorder.advance_clock(SECOND);
    }
    stop.store(true, Ordering::Relaxed);
    let loops: Vec<u64> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    let t = text(registry);
    for (w, n) in loops.iter().enumerate() {
        assert!(
            t.contains(&format!("steady_total{{writer=\"{w}\"}} {n}\n")),
            "writer {w} looped {n}: {:?}",
            samples(&t, "steady_total")
        );
        assert!(
            t.contains(&format!("steady_seconds_count{{writer=\"{w}\"}} {n}\n")),
            "writer {w}: {:?}",
            samples(&t, "steady_seconds_count")
        );
    }
    let total: u64 = loops.iter().sum();
    assert!(t.contains(&format!("shared_total {total}\n")), "{total}");
    assert!(scrapes > 5, "{scrapes} scrapes");
    assert!(recorder.expired(ExpiredWhat::Series) > 0);
    assert!(recorder.expired(ExpiredWhat::Name) > 0);
    eprintln!(
        "{scrapes} scrapes, {loops:?} loops, {} series and {} names expired",
        recorder.expired(ExpiredWhat::Series),
        recorder.expired(ExpiredWhat::Name)
    );
}
