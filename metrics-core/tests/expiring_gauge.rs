//! `Gauge` families with a label whose values expire
//! (`dynamic_label!(..., idle_secs)`): eviction only after the idle time
//! and two exports, a re-admitted value starting from 0 (never showing
//! the evicted value's), kept handles of evicted values writing into the
//! overflow value (`expired`), the expiring label in second place, and a
//! stress test of concurrent set/inc writers, a scraper and churn with
//! exact final values. Each test declares its own label type (the tables
//! are process-wide).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tally_core::dynamic_label::Rejection;
use tally_core::{
    dynamic_label, Desc, Gauge, LabelValue, ManualClock, Registry, RegistrySnapshot, Value,
};

/// `(label values joined by ',', value)` of every series of family `name`.
fn series(snapshot: &RegistrySnapshot, name: &str) -> HashMap<String, i64> {
    let family = snapshot.families.iter().find(|f| f.name == name).unwrap();
    family
        .series
        .iter()
        .map(|s| {
            let names: Vec<_> = family.label_pairs(s).map(|(_, v)| v.to_owned()).collect();
            let Value::Gauge(n) = s.value else { panic!() };
            (names.join(","), n)
        })
        .collect()
}

#[test]
fn idle_value_is_evicted_after_two_exports_and_its_slot_restarts_from_zero() {
    dynamic_label!(Session, name = "session", capacity = 2, idle_secs = 60);
    let clock = ManualClock::new();
    Session::table().set_clock(Arc::new(clock.clone()));
    let registry = Registry::new();
    let open = registry
        .register(Desc::new("open_files", "o"), Gauge::<Session>::new())
        .unwrap();

    let a = Session::admit("a");
    open.with(a).set(5);
    open.with(a).inc();
    let b = Session::admit("b");
    open.with(b).add(3);
    open.with(b).dec();
    assert!(Session::admit("c").is_overflow(), "full, nothing idle");

    let s = registry.snapshot();
    assert_eq!(series(&s, "open_files").get("a"), Some(&6));
    assert_eq!(series(&s, "open_files").get("b"), Some(&2));
    // The idle time passes, but only one export saw the writes.
    clock.advance(Duration::from_secs(120));
    assert!(Session::admit("c").is_overflow());
    registry.snapshot();
    // Two exports since a's last write and the idle time: evictable.
    clock.advance(Duration::from_secs(61));
    open.with(b).inc(); // b stays busy
    registry.snapshot();
    registry.snapshot();
    clock.advance(Duration::from_secs(10));
    let c = Session::admit("c");
    assert!(!c.is_overflow());
    assert_eq!(c.ordinal(), a.ordinal(), "c took a's slot");
    assert_ne!(c, a, "but not its generation");
    assert_eq!(Session::table().evicted(), 1);

    // Before any write, c reads 0 and is exposed at 0: a's 6 never shows.
    assert_eq!(open.with(c).get(), 0);
    let s = registry.snapshot();
    assert_eq!(series(&s, "open_files").get("c"), Some(&0));
    assert_eq!(series(&s, "open_files").get("a"), None);
    // c starts from 0: an increment gives 1, not 7.
    open.with(c).inc();
    assert_eq!(open.with(c).get(), 1);
    // a's kept handle writes into the overflow value, counted as expired,
    // and reads 0 (the cell is c's now).
    open.with(a).add(100);
    open.with(a).sub(1);
    assert_eq!(Session::table().rejected(Rejection::Expired), 2);
    assert_eq!(open.with(a).get(), 0);
    assert_eq!(open.with(Session::overflow()).get(), 99);
    open.with(a).set(-7);
    assert_eq!(open.with(Session::overflow()).get(), -7);
    assert_eq!(open.with(c).get(), 1);

    let s = registry.snapshot();
    let got = series(&s, "open_files");
    assert_eq!(got.get("c"), Some(&1));
    assert_eq!(got.get("b"), Some(&3));
    assert_eq!(got.get("__overflow__"), Some(&-7));
    assert_eq!(got.get("a"), None);
    assert_eq!(open.values().iter().sum::<i64>(), 1 + 3 - 7);
}

#[test]
fn a_set_value_is_replaced_not_reset_and_a_readmitted_set_starts_fresh() {
    dynamic_label!(Conn, name = "conn", capacity = 1, idle_secs = 1);
    let clock = ManualClock::new();
    Conn::table().set_clock(Arc::new(clock.clone()));
    let registry = Registry::new();
    let g = registry
        .register(Desc::new("queue", "q"), Gauge::<Conn>::new())
        .unwrap();
    let x = Conn::admit("x");
    g.with(x).set(42);
    for _ in 0..2 {
        registry.snapshot();
    }
    clock.advance(Duration::from_secs(2));
    let y = Conn::admit("y");
    assert!(!y.is_overflow());
    // A set under y replaces whatever the cell held for x.
    g.with(y).set(3);
    g.with(y).add(1);
    assert_eq!(g.with(y).get(), 4);
    assert_eq!(g.with(x).get(), 0);
    assert_eq!(series(&registry.snapshot(), "queue").get("y"), Some(&4));
}

/// The expiring label second: the overflow redirection keeps the other
/// label's value.
#[test]
fn evicted_handle_in_a_tuple_goes_to_the_overflow_series_of_its_other_labels() {
    dynamic_label!(Peer, name = "peer", capacity = 1, idle_secs = 1);
    let clock = ManualClock::new();
    Peer::table().set_clock(Arc::new(clock.clone()));
    let registry = Registry::new();
    let g = registry
        .register(Desc::new("window", "w"), Gauge::<(bool, Peer)>::new())
        .unwrap();
    let p = Peer::admit("p");
    g.with((true, p)).set(10);
    g.with((false, p)).set(20);
    for _ in 0..2 {
        registry.snapshot();
    }
    clock.advance(Duration::from_secs(2));
    let q = Peer::admit("q");
    assert!(!q.is_overflow());
    g.with((true, p)).add(5);
    g.with((true, q)).add(1);
    let got = series(&registry.snapshot(), "window");
    assert_eq!(got.get("true,q"), Some(&1));
    assert_eq!(got.get("false,q"), Some(&0));
    assert_eq!(got.get("true,__overflow__"), Some(&5));
    assert_eq!(got.get("false,__overflow__"), Some(&0));
    assert_eq!(got.get("true,p"), None);
}

/// Writers admit distinct values and write them through kept handles
/// (a `set` then increments), and all increment one shared busy value,
/// while a scraper exports and advances the clock past the idle time, so
/// values are evicted and slots reused all the time. Every snapshot must
/// show each value at most what was written under it (a value of an
/// evicted value read under the next one would exceed it, as the first
/// write of each is a `set` to a distinct large number); at the end every
/// value whose handle still holds its slot shows exactly what was
/// written, and the busy value exactly every increment.
#[test]
fn stress_concurrent_writers_scraper_churn_exact_values() {
    dynamic_label!(Key, name = "key", capacity = 8, idle_secs = 1);
    const WRITERS: usize = 3;
    const NAMES: usize = 5000;
    let clock = ManualClock::new();
    Key::table().set_clock(Arc::new(clock.clone()));
    let registry = Arc::new(Registry::new());
    let gauge = registry
        .register(Desc::new("depth", "d"), Gauge::<Key>::new())
        .unwrap();
    let busy = Key::admit("busy");
    // written[w][k]: the value written by writer w through its handle of
    // "w{w}-{k}", updated before each write.
    let written: Arc<Vec<Vec<AtomicI64>>> = Arc::new(
        (0..WRITERS)
            .map(|_| (0..NAMES).map(|_| AtomicI64::new(0)).collect())
            .collect(),
    );
    // Writers that finished: the scraper stops with the last, so the busy
    // value is never idle for two exports.
    let finished = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(2);
    let scraper = {
        let (registry, written, finished, clock) = (
            registry.clone(),
            written.clone(),
            finished.clone(),
            clock.clone(),
        );
        std::thread::spawn(move || {
            let mut scrapes = 0u64;
            while finished.load(Ordering::SeqCst) < WRITERS {
                let s = registry.snapshot();
                for (name, got) in series(&s, "depth") {
                    if name == "__overflow__" || name == "busy" {
                        continue;
                    }
                    let (w, k) = name[1..].split_once('-').unwrap();
                    let (w, k): (usize, usize) = (w.parse().unwrap(), k.parse().unwrap());
                    let want = written[w][k].load(Ordering::SeqCst);
                    assert!(got <= want, "{name}: exported {got} > written {want}");
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
            let (gauge, written, finished) = (gauge.clone(), written.clone(), finished.clone());
            std::thread::spawn(move || {
                let mut handles = Vec::new();
                let mut busy_incs = 0i64;
                let mut k = 0;
                while Instant::now() < deadline && k < NAMES {
                    let h = Key::admit(&format!("w{w}-{k}"));
                    let start = 1_000 * (k as i64 + 1);
                    written[w][k].store(start, Ordering::SeqCst);
                    gauge.with(h).set(start);
                    for _ in 0..20 {
                        written[w][k].fetch_add(1, Ordering::SeqCst);
                        gauge.with(h).inc();
                        gauge.with(busy).inc();
                        busy_incs += 1;
                    }
                    handles.push((k, h));
                    // Now and then write again through an older handle,
                    // which may have been evicted meanwhile.
                    if k % 3 == 0 && k >= 5 {
                        let (old, h) = handles[k - 5];
                        written[w][old].fetch_add(1, Ordering::SeqCst);
                        gauge.with(h).inc();
                    }
                    k += 1;
                    std::thread::sleep(Duration::from_micros(300));
                }
                finished.fetch_add(1, Ordering::SeqCst);
                (handles, busy_incs)
            })
        })
        .collect();
    let results: Vec<_> = writers.into_iter().map(|t| t.join().unwrap()).collect();
    let scrapes = scraper.join().unwrap();
    Key::seal();
    let s = registry.snapshot();
    let got = series(&s, "depth");
    let mut exact = 0;
    for (w, (handles, _)) in results.iter().enumerate() {
        for &(k, h) in handles {
            if !h.is_overflow() && h.name().is_some() {
                let name = format!("w{w}-{k}");
                let want = written[w][k].load(Ordering::SeqCst);
                assert_eq!(got.get(&name), Some(&want), "{name} {h:?}");
                assert_eq!(gauge.with(h).get(), want);
                exact += 1;
            }
        }
    }
    let busy_incs: i64 = results.iter().map(|(_, n)| n).sum();
    assert_eq!(busy.name().as_deref(), Some("busy"), "busy is never idle");
    assert_eq!(got.get("busy"), Some(&busy_incs));
    let evicted = Key::table().evicted();
    let expired = Key::table().rejected(Rejection::Expired);
    eprintln!("scrapes {scrapes}, evicted {evicted}, expired {expired}, exact at the end {exact}");
    assert!(
        exact > 0 && evicted > 0,
        "the run must evict and keep values"
    );
}
