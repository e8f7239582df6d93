//! Runtime labels whose values expire (`dynamic_label!(..., idle_secs)`):
//! eviction only after the idle time and two exports, slot reuse from
//! zero, kept handles of evicted values going to overflow (`expired`),
//! names taken with the snapshot, sealed labels keeping their values,
//! and a stress test of concurrent admit, record, evict and scrape with
//! exact per-value totals. Each test declares its own label type (the
//! tables are process-wide).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tally_core::dynamic_label::Rejection;
use tally_core::{
    dynamic_label, Counter, Desc, LabelValue, ManualClock, Registry, RegistrySnapshot, Value,
};

/// `(value name, count)` of every series of family `name`.
fn series(snapshot: &RegistrySnapshot, name: &str) -> HashMap<String, u64> {
    let family = snapshot.families.iter().find(|f| f.name == name).unwrap();
    family
        .series
        .iter()
        .map(|s| {
            let (_, v) = family.label_pairs(s).next().unwrap();
            let Value::Counter(n) = s.value else { panic!() };
            (v.to_owned(), n)
        })
        .collect()
}

#[test]
fn idle_value_is_evicted_after_two_exports_and_its_slot_restarts_from_zero() {
    dynamic_label!(Tenant, name = "tenant", capacity = 2, idle_secs = 60);
    let clock = ManualClock::new();
    Tenant::table().set_clock(Arc::new(clock.clone()));
    assert_eq!(Tenant::table().idle(), Some(Duration::from_secs(60)));
    let registry = Registry::new();
    let requests = registry
        .register(Desc::new("requests_total", "r"), Counter::<Tenant>::new())
        .unwrap();

    let a = Tenant::admit("a");
    requests.with(a).add(5);
    requests.with(Tenant::admit("b")).add(1);
    assert_eq!(a.name().as_deref(), Some("a"));
    // Full, nothing idle: overflow, counted as full.
    assert!(Tenant::admit("c").is_overflow());
    assert_eq!(Tenant::table().rejected(Rejection::Full), 1);

    let s = registry.snapshot();
    assert_eq!(series(&s, "requests").get("a"), Some(&5));
    // The idle time passes, but only one export saw the writes: no eviction.
    clock.advance(Duration::from_secs(120));
    assert!(Tenant::admit("c").is_overflow());
    registry.snapshot();
    // Two exports since the last write and the idle time: evicted.
    clock.advance(Duration::from_secs(61));
    requests.with(Tenant::admit("b")).inc(); // b stays busy
    registry.snapshot();
    registry.snapshot();
    clock.advance(Duration::from_secs(10));
    let c = Tenant::admit("c");
    assert!(!c.is_overflow());
    assert_eq!(c.ordinal(), a.ordinal(), "c took a's slot");
    assert_ne!(c, a, "but not its generation");
    assert_eq!(Tenant::table().evicted(), 1);
    assert_eq!(a.name(), None);
    // c starts from zero: a's 5 are gone with a.
    assert_eq!(requests.with(c).get(), 0);
    requests.with(c).add(2);
    // a's kept handle records into the overflow value, counted as expired.
    requests.with(a).add(100);
    assert_eq!(Tenant::table().rejected(Rejection::Expired), 1);
    assert_eq!(requests.with(Tenant::overflow()).get(), 100);

    let s = registry.snapshot();
    let got = series(&s, "requests");
    assert_eq!(got.get("c"), Some(&2));
    assert_eq!(got.get("b"), Some(&2));
    assert_eq!(got.get("__overflow__"), Some(&100));
    assert_eq!(got.get("a"), None);
    let evicted = series(&s, "tally_label_evicted");
    assert_eq!(evicted.get("tenant"), Some(&1));
    let text = format!("{c:?} {c}");
    assert_eq!(text, "Tenant(\"c\") c");
}

#[test]
fn without_exports_nothing_is_evicted_and_sealed_labels_keep_values() {
    dynamic_label!(Host, name = "host", capacity = 1, idle_secs = 1);
    let clock = ManualClock::new();
    Host::table().set_clock(Arc::new(clock.clone()));
    let registry = Registry::new();
    let c = registry
        .register(Desc::new("hits_total", "h"), Counter::<Host>::new())
        .unwrap();
    c.with(Host::admit("x")).inc();
    clock.advance(Duration::from_secs(3600));
    assert!(Host::admit("y").is_overflow(), "no export ran: x stays");
    Host::seal();
    for _ in 0..3 {
        registry.snapshot();
    }
    clock.advance(Duration::from_secs(3600));
    assert!(Host::admit("y").is_overflow(), "sealed: x stays");
    assert_eq!(Host::table().rejected(Rejection::Sealed), 1);
    assert_eq!(Host::lookup("x").map(|h| h.ordinal()), Some(0));
    assert_eq!(Host::table().evicted(), 0);
}

#[test]
fn declare_admits_by_evicting_idle_values() {
    dynamic_label!(Region, name = "region", capacity = 2, idle_secs = 5);
    let clock = ManualClock::new();
    Region::table().set_clock(Arc::new(clock.clone()));
    let registry = Registry::new();
    let _c = registry
        .register(Desc::new("c_total", "c"), Counter::<Region>::new())
        .unwrap();
    Region::declare(["eu", "us"]).unwrap();
    assert!(
        Region::declare(["ap"]).is_err(),
        "eu and us are not idle yet"
    );
    registry.snapshot();
    registry.snapshot();
    clock.advance(Duration::from_secs(5));
    Region::declare(["ap", "sa"]).unwrap();
    let mut names: Vec<String> = Region::table()
        .names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["ap", "sa"]);
}

/// Writers admit and record distinct values through kept handles while a
/// scraper exports and advances the clock past the idle time, so values
/// are evicted and slots reused all the time. Every snapshot must show
/// each value at most what was recorded under it (an increment under an
/// evicted value counted under the next one would exceed it), and once
/// the label is sealed every value whose handle still holds its slot
/// must show exactly what was recorded.
#[test]
fn stress_concurrent_admit_record_evict_scrape_exact_per_value() {
    dynamic_label!(Key, name = "key", capacity = 8, idle_secs = 1);
    const WRITERS: usize = 3;
    const NAMES: usize = 3000;
    let clock = ManualClock::new();
    Key::table().set_clock(Arc::new(clock.clone()));
    let registry = Arc::new(Registry::new());
    let counter = registry
        .register(Desc::new("ops_total", "o"), Counter::<Key>::new())
        .unwrap();
    // recorded[w][k]: increments made by writer w through its handle of
    // value "w{w}-{k}", counted before each increment.
    let recorded: Arc<Vec<Vec<AtomicU64>>> = Arc::new(
        (0..WRITERS)
            .map(|_| (0..NAMES).map(|_| AtomicU64::new(0)).collect())
            .collect(),
    );
    let done = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(3);
    let scraper = {
        let (registry, recorded, done, clock) = (
            registry.clone(),
            recorded.clone(),
            done.clone(),
            clock.clone(),
        );
        std::thread::spawn(move || {
            let mut scrapes = 0u64;
            let mut max_live = 0;
            while !done.load(Ordering::SeqCst) {
                let s = registry.snapshot();
                for (name, got) in series(&s, "ops") {
                    if name == "__overflow__" {
                        continue;
                    }
                    let (w, k) = name[1..].split_once('-').unwrap();
                    let (w, k): (usize, usize) = (w.parse().unwrap(), k.parse().unwrap());
                    let want = recorded[w][k].load(Ordering::SeqCst);
                    assert!(got <= want, "{name}: exported {got} > recorded {want}");
                }
                clock.advance(Duration::from_millis(400));
                scrapes += 1;
                max_live = max_live.max(Key::table().len());
                std::thread::sleep(Duration::from_millis(1));
            }
            (scrapes, max_live)
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (counter, recorded) = (counter.clone(), recorded.clone());
            std::thread::spawn(move || {
                let mut handles = Vec::new();
                let mut k = 0;
                while Instant::now() < deadline && k < NAMES {
                    let h = Key::admit(&format!("w{w}-{k}"));
                    for _ in 0..50 {
                        recorded[w][k].fetch_add(1, Ordering::SeqCst);
                        counter.with(h).inc();
                    }
                    handles.push((k, h));
                    // Now and then record again through an older handle,
                    // which may have been evicted meanwhile.
                    if k % 3 == 0 && k >= 5 {
                        let (old, h) = handles[k - 5];
                        recorded[w][old].fetch_add(1, Ordering::SeqCst);
                        counter.with(h).inc();
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
    let (scrapes, max_live) = scraper.join().unwrap();
    Key::seal();
    let s = registry.snapshot();
    let got = series(&s, "ops");
    let mut exact = 0;
    for (w, handles) in handles.iter().enumerate() {
        for &(k, h) in handles {
            if !h.is_overflow() && h.name().is_some() {
                let name = format!("w{w}-{k}");
                let want = recorded[w][k].load(Ordering::SeqCst);
                assert_eq!(
                    got.get(&name),
                    Some(&want),
                    "{name} {h:?} {got:?} {:?}",
                    Key::table().names()
                );
                assert_eq!(counter.with(h).get(), want);
                exact += 1;
            }
        }
    }
    let evicted = Key::table().evicted();
    let expired = Key::table().rejected(Rejection::Expired);
    eprintln!(
        "scrapes {scrapes}, evicted {evicted}, expired {expired}, exact at the end {exact}, max live {max_live}"
    );
    assert!(
        exact > 0 && evicted > 0,
        "the run must evict and keep values"
    );
}
