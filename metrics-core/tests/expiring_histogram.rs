//! Histograms over a runtime label whose values expire
//! (`dynamic_label!(..., idle_secs)`): eviction only after the idle time
//! and two exports, a reused slot starting from an empty histogram, kept
//! handles of evicted values recording into overflow (`expired`), and a
//! stress test of concurrent admit, record, evict and scrape with exact
//! per-value counts and sums. Each test declares its own label type (the
//! tables are process-wide).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tally_core::dynamic_label::Rejection;
use tally_core::{
    dynamic_label, Desc, Histogram, LabelValue, ManualClock, Registry, RegistrySnapshot, Value,
};

/// `(value name, (count, sum))` of every series of histogram family `name`.
fn series(snapshot: &RegistrySnapshot, name: &str) -> HashMap<String, (u64, u64)> {
    let family = snapshot.families.iter().find(|f| f.name == name).unwrap();
    family
        .series
        .iter()
        .map(|s| {
            let (_, v) = family.label_pairs(s).next().unwrap();
            let Value::Histogram(h) = &s.value else {
                panic!()
            };
            (v.to_owned(), (h.count(), h.sum()))
        })
        .collect()
}

#[test]
fn idle_value_is_evicted_after_two_exports_and_its_slot_restarts_empty() {
    dynamic_label!(Tenant, name = "tenant", capacity = 2, idle_secs = 60);
    let clock = ManualClock::new();
    Tenant::table().set_clock(Arc::new(clock.clone()));
    let registry = Registry::new();
    let latency = registry
        .register(Desc::new("latency", "l"), Histogram::<Tenant>::new())
        .unwrap();

    let a = Tenant::admit("a");
    for _ in 0..5 {
        latency.with(a).record(1_000);
    }
    // Another thread's block holds some of a's records too.
    std::thread::scope(|s| {
        s.spawn(|| latency.with(a).record(1_000));
    });
    latency.with(Tenant::admit("b")).record(7);
    assert!(Tenant::admit("c").is_overflow(), "full, nothing idle");

    let s = registry.snapshot();
    assert_eq!(series(&s, "latency").get("a"), Some(&(6, 6_000)));
    // The idle time passes, but only one export saw the writes: no eviction.
    clock.advance(Duration::from_secs(120));
    assert!(Tenant::admit("c").is_overflow());
    registry.snapshot();
    // Two exports since the last write and the idle time: evicted.
    clock.advance(Duration::from_secs(61));
    latency.with(Tenant::admit("b")).record(7); // b stays busy
    registry.snapshot();
    registry.snapshot();
    clock.advance(Duration::from_secs(10));
    let c = Tenant::admit("c");
    assert!(!c.is_overflow());
    assert_eq!(c.ordinal(), a.ordinal(), "c took a's slot");
    assert_ne!(c, a, "but not its generation");
    assert_eq!(Tenant::table().evicted(), 1);

    // c starts empty: a's six records (in two threads' blocks) are gone.
    assert_eq!(latency.with(c).snapshot().count(), 0);
    let s = registry.snapshot();
    assert_eq!(
        series(&s, "latency").get("c"),
        None,
        "not listed before a record"
    );
    latency.with(c).record(2_000);
    std::thread::scope(|s| {
        s.spawn(|| latency.with(c).record(3_000));
    });
    // a's kept handle records into the overflow series, counted as expired.
    latency.with(a).record(100);
    assert_eq!(Tenant::table().rejected(Rejection::Expired), 1);
    assert_eq!(latency.with(Tenant::overflow()).snapshot().count(), 1);

    let s = registry.snapshot();
    let got = series(&s, "latency");
    assert_eq!(got.get("c"), Some(&(2, 5_000)));
    assert_eq!(got.get("b"), Some(&(2, 14)));
    assert_eq!(got.get("__overflow__"), Some(&(1, 100)));
    assert_eq!(got.get("a"), None);
    let c_snap = latency.with(c).snapshot();
    assert_eq!((c_snap.count(), c_snap.sum()), (2, 5_000));

    // c goes idle and "a" comes back: a new generation in that slot, empty.
    registry.snapshot();
    registry.snapshot();
    clock.advance(Duration::from_secs(61));
    latency.with(Tenant::admit("b")).record(7);
    let again = Tenant::admit("a");
    assert!(!again.is_overflow());
    assert_ne!(again, a);
    assert_eq!(again.ordinal(), a.ordinal());
    assert_eq!(latency.with(again).snapshot().count(), 0);
    latency.with(again).record(9);
    let s = registry.snapshot();
    let got = series(&s, "latency");
    assert_eq!(
        got.get("a"),
        Some(&(1, 9)),
        "re-admitted a counts from zero"
    );
    assert_eq!(got.get("c"), None);
}

#[test]
fn exemplars_are_not_exposed_for_a_family_with_an_expiring_label() {
    dynamic_label!(Session, name = "session", capacity = 2, idle_secs = 60);
    let registry = Registry::new();
    let h = registry
        .register(Desc::new("wait", "w"), Histogram::<Session>::new())
        .unwrap();
    h.with(Session::admit("s"))
        .record_with_exemplar(5, "abc", "def");
    let s = registry.snapshot();
    let family = s.families.iter().find(|f| f.name == "wait").unwrap();
    assert_eq!(family.series.len(), 1);
    assert!(family.series[0].exemplars.is_empty());
}

/// Writers admit and record distinct values through kept handles while a
/// scraper exports and advances the clock past the idle time, so values
/// are evicted and slots reused all the time. Each value records one
/// number of its own, so every snapshot must show each value at most the
/// count recorded under it, with a sum made of its own number only (a
/// record made under an evicted value and counted under the next one
/// would break either); once the label is sealed, every value whose
/// handle still holds its slot shows exactly what was recorded.
#[test]
fn stress_concurrent_admit_record_evict_scrape_exact_per_value() {
    dynamic_label!(Key, name = "key", capacity = 8, idle_secs = 1);
    const WRITERS: usize = 3;
    const NAMES: usize = 3000;
    // The one number value `w{w}-{k}` records.
    fn number(w: usize, k: usize) -> u64 {
        1_000 + (w * NAMES + k) as u64
    }
    let clock = ManualClock::new();
    Key::table().set_clock(Arc::new(clock.clone()));
    let registry = Arc::new(Registry::new());
    let histogram = registry
        .register(Desc::new("op_seconds", "o"), Histogram::<Key>::new())
        .unwrap();
    // recorded[w][k]: records made by writer w through its handle of
    // value "w{w}-{k}", counted before each record.
    let recorded: Arc<Vec<Vec<AtomicU64>>> = Arc::new(
        (0..WRITERS)
            .map(|_| (0..NAMES).map(|_| AtomicU64::new(0)).collect())
            .collect(),
    );
    let done = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(2);
    let scraper = {
        let (registry, recorded, done, clock) = (
            registry.clone(),
            recorded.clone(),
            done.clone(),
            clock.clone(),
        );
        std::thread::spawn(move || {
            let mut scrapes = 0u64;
            while !done.load(Ordering::SeqCst) {
                let s = registry.snapshot();
                for (name, (count, sum)) in series(&s, "op_seconds") {
                    if name == "__overflow__" {
                        continue;
                    }
                    let (w, k) = name[1..].split_once('-').unwrap();
                    let (w, k): (usize, usize) = (w.parse().unwrap(), k.parse().unwrap());
                    let want = recorded[w][k].load(Ordering::SeqCst);
                    assert!(count <= want, "{name}: exported {count} > recorded {want}");
                    // The sum may be read a record ahead of the counts (a
                    // record in flight), never with another value's number.
                    let n = number(w, k);
                    assert_eq!(sum % n, 0, "{name}: {sum} holds another value's number");
                    assert!(
                        sum / n <= want,
                        "{name}: sum of {} > recorded {want}",
                        sum / n
                    );
                }
                clock.advance(Duration::from_millis(400));
                scrapes += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            scrapes
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (histogram, recorded) = (histogram.clone(), recorded.clone());
            std::thread::spawn(move || {
                let mut handles = Vec::new();
                let mut k = 0;
                while Instant::now() < deadline && k < NAMES {
                    let h = Key::admit(&format!("w{w}-{k}"));
                    for _ in 0..50 {
                        recorded[w][k].fetch_add(1, Ordering::SeqCst);
                        histogram.with(h).record(number(w, k));
                    }
                    handles.push((k, h));
                    // Now and then record again through an older handle,
                    // which may have been evicted meanwhile.
                    if k % 3 == 0 && k >= 5 {
                        let (old, h) = handles[k - 5];
                        recorded[w][old].fetch_add(1, Ordering::SeqCst);
                        histogram.with(h).record(number(w, old));
                    }
                    k += 1;
                    std::thread::sleep(Duration::from_micros(500));
                }
                handles
            })
        })
        .collect();
    let handles: Vec<_> = writers.into_iter().map(|t| t.join().unwrap()).collect();
    done.store(true, Ordering::SeqCst);
    let scrapes = scraper.join().unwrap();
    Key::seal();
    let s = registry.snapshot();
    let got = series(&s, "op_seconds");
    let mut exact = 0;
    for (w, handles) in handles.iter().enumerate() {
        for &(k, h) in handles {
            if !h.is_overflow() && h.name().is_some() {
                let name = format!("w{w}-{k}");
                let want = recorded[w][k].load(Ordering::SeqCst);
                assert_eq!(got.get(&name), Some(&(want, want * number(w, k))), "{name}");
                assert_eq!(histogram.with(h).snapshot().count(), want);
                exact += 1;
            }
        }
    }
    let evicted = Key::table().evicted();
    let expired = Key::table().rejected(Rejection::Expired);
    eprintln!("scrapes {scrapes}, evicted {evicted}, expired {expired}, exact at the end {exact}");
    assert!(
        exact > 0 && evicted > 0,
        "the run must evict and keep values"
    );
}

/// More writer threads alive at once than the family has owned blocks:
/// those past the owned range share one block (each holding the family's
/// mutex while it writes an expiring series there). Every thread records
/// under `a`, `a` is evicted for `b` in the same slot, every thread
/// records under `b`: the totals are exact and `b` starts from zero in
/// the shared block too.
#[test]
fn writers_past_the_owned_blocks_share_one_and_reset_it_soundly() {
    dynamic_label!(Job, name = "job", capacity = 1, idle_secs = 1);
    let clock = ManualClock::new();
    Job::table().set_clock(Arc::new(clock.clone()));
    let registry = Registry::new();
    let h = registry
        .register(Desc::new("step", "s"), Histogram::<Job>::new())
        .unwrap();
    let threads = tally_core::__test_hooks::histogram_shards() + 2;
    let barrier = std::sync::Barrier::new(threads + 1);
    let a = Job::admit("a");
    let b = std::sync::OnceLock::new();
    // Read inside the scope, checked after it (a failed check inside would
    // leave the writers waiting at the barrier).
    let (under_a, admitted) = std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..10 {
                    h.with(a).record(100);
                }
                barrier.wait(); // a recorded everywhere
                barrier.wait(); // b admitted in a's slot
                let b: Job = *b.get().unwrap();
                for _ in 0..5 {
                    h.with(b).record(7);
                }
            });
        }
        barrier.wait();
        let under_a = series(&registry.snapshot(), "step").get("a").copied();
        registry.snapshot();
        clock.advance(Duration::from_secs(2));
        let admitted = Job::admit("b");
        b.set(admitted).unwrap();
        barrier.wait();
        (under_a, admitted)
    });
    let n = threads as u64;
    assert_eq!(under_a, Some((10 * n, 1_000 * n)));
    assert!(!admitted.is_overflow());
    assert_eq!(admitted.ordinal(), a.ordinal());
    let got = series(&registry.snapshot(), "step");
    assert_eq!(got.get("b"), Some(&(5 * n, 35 * n)), "{got:?}");
    assert_eq!(got.get("a"), None);
    assert_eq!(h.with(admitted).snapshot().count(), 5 * n);
}
