//! Runtime-bounded labels: declaration errors, admission on first use,
//! overflow counted by reason, exactness under 8 threads, exposition of
//! only admitted series, and a resolve path that allocates nothing once a
//! value is admitted. Each test declares its own label type (the tables
//! are process-wide).

mod common;
#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use std::collections::HashSet;
use std::sync::Barrier;

use common::Method;
use counting_alloc::allocations_during;
use tally_core::dynamic_label::{DynamicLabelError, Rejection, MAX_VALUE_LEN, OVERFLOW_VALUE};
use tally_core::{
    dynamic_label, Counter, Desc, Gauge, Histogram, LabelSet, LabelValue, Registry, Value,
};

#[test]
fn declaration_rejects_bad_values_with_clear_errors() {
    dynamic_label!(Host, name = "host", capacity = 3);
    assert_eq!(
        Host::declare([""]),
        Err(DynamicLabelError::Empty { label: "host" })
    );
    let long = "x".repeat(MAX_VALUE_LEN + 1);
    assert_eq!(
        Host::declare([long.as_str()]),
        Err(DynamicLabelError::TooLong {
            label: "host",
            len: MAX_VALUE_LEN + 1,
            max: MAX_VALUE_LEN
        })
    );
    let err = Host::declare(["a\nb"]).unwrap_err();
    assert_eq!(err.reason(), Rejection::ControlChar);
    assert!(err.to_string().contains("a\\nb"), "{err}");
    assert_eq!(
        Host::declare([OVERFLOW_VALUE]).unwrap_err().reason(),
        Rejection::Reserved
    );
    // All or nothing: one bad value admits none of the others.
    assert!(Host::declare(["ok", "\t"]).is_err());
    assert!(Host::table().is_empty());
    // Too many for the capacity: none admitted, the error names the first
    // that does not fit.
    let err = Host::declare(["a", "b", "c", "d"]).unwrap_err();
    assert!(matches!(err, DynamicLabelError::Full { capacity: 3, ref value, .. } if value == "d"));
    assert!(Host::table().is_empty());
    // Declaring twice is idempotent; duplicates take one slot.
    Host::declare(["a", "b", "a"]).unwrap();
    Host::declare(["b", "a", "c"]).unwrap();
    assert_eq!(Host::table().values(), ["a", "b", "c"]);
    assert_eq!(<Host as LabelValue>::CARDINALITY, 4);
    // Nothing above was counted: declaration errors are returned.
    for reason in Rejection::ALL {
        assert_eq!(Host::table().rejected(reason), 0);
    }
}

#[test]
fn recording_path_maps_refusals_to_overflow_and_counts_them() {
    dynamic_label!(Tenant, name = "tenant", capacity = 2);
    let acme = Tenant::admit("acme");
    assert_eq!(acme.as_str(), "acme");
    assert_eq!(Tenant::admit("acme"), acme);
    assert_eq!(Tenant::lookup("globex"), None);
    let globex = Tenant::admit("globex");
    assert_ne!(globex, acme);
    assert!(!globex.is_overflow());
    // Full: overflow, counted.
    let initech = Tenant::admit("initech");
    assert!(initech.is_overflow());
    assert_eq!(initech.as_str(), OVERFLOW_VALUE);
    assert_eq!(initech.ordinal(), Tenant::CAPACITY);
    // Invalid values: overflow, counted by reason.
    assert!(Tenant::admit("").is_overflow());
    assert!(Tenant::admit(&"y".repeat(500)).is_overflow());
    assert!(Tenant::admit("bell\u{7}").is_overflow());
    assert!(Tenant::admit(OVERFLOW_VALUE).is_overflow());
    let t = Tenant::table();
    assert_eq!(t.rejected(Rejection::Full), 1);
    assert_eq!(t.rejected(Rejection::Empty), 1);
    assert_eq!(t.rejected(Rejection::TooLong), 1);
    assert_eq!(t.rejected(Rejection::ControlChar), 1);
    assert_eq!(t.rejected(Rejection::Reserved), 1);
    // try_get returns the error instead, uncounted.
    assert!(matches!(
        Tenant::try_admit("hooli"),
        Err(DynamicLabelError::Full { .. })
    ));
    assert_eq!(t.rejected(Rejection::Full), 1);
    assert_eq!(Tenant::try_admit("acme"), Ok(acme));
}

#[test]
fn sealed_label_admits_only_declared_values() {
    dynamic_label!(Shard, name = "shard", capacity = 8);
    Shard::declare(["s1", "s2"]).unwrap();
    Shard::seal();
    assert_eq!(Shard::admit("s2").as_str(), "s2");
    assert!(Shard::admit("s3").is_overflow());
    assert_eq!(Shard::table().rejected(Rejection::Sealed), 1);
    assert!(matches!(
        Shard::declare(["s4"]),
        Err(DynamicLabelError::Sealed { .. })
    ));
    // Re-declaring admitted values is still fine.
    Shard::declare(["s1"]).unwrap();
}

/// 8 threads resolve 100 distinct values, each in its own order, into a
/// label of capacity 64 and count each one: exactly 64 values are
/// admitted, every thread saw the same ordinal for a value, no increment
/// is lost, the other 36 x 8 went to the overflow series and were
/// counted.
#[test]
fn concurrent_admission_is_exact_under_8_threads() {
    dynamic_label!(Upstream, name = "upstream", capacity = 64);
    const THREADS: usize = 8;
    const VALUES: usize = 100;
    let counter = Counter::<Upstream>::new();
    let barrier = Barrier::new(THREADS);
    let values: Vec<String> = (0..VALUES).map(|i| format!("host-{i}")).collect();
    let seen: Vec<Vec<(usize, Upstream)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (counter, barrier, values) = (&counter, &barrier, &values);
                s.spawn(move || {
                    barrier.wait();
                    let mut got = Vec::new();
                    for k in 0..VALUES {
                        // A different order per thread (37 is coprime to 100).
                        let i = (k * 37 + t * 13) % VALUES;
                        let handle = Upstream::admit(&values[i]);
                        counter.with(handle).inc();
                        got.push((i, handle));
                    }
                    got
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let table = Upstream::table();
    assert_eq!(table.len(), 64);
    // Each value has one handle across threads.
    let mut by_value = vec![None; VALUES];
    for got in &seen {
        for &(i, handle) in got {
            match by_value[i] {
                None => by_value[i] = Some(handle),
                Some(h) => assert_eq!(h, handle, "value {i} got two handles"),
            }
        }
    }
    let admitted: Vec<Upstream> = by_value
        .iter()
        .flatten()
        .copied()
        .filter(|h| !h.is_overflow())
        .collect();
    assert_eq!(admitted.len(), 64);
    let ordinals: HashSet<usize> = admitted.iter().map(|h| h.ordinal()).collect();
    assert_eq!(ordinals.len(), 64, "two values share an ordinal");
    for (i, h) in by_value.iter().enumerate() {
        let h = h.unwrap();
        if !h.is_overflow() {
            assert_eq!(h.as_str(), values[i]);
            assert_eq!(counter.with(h).get(), THREADS as u64);
        }
    }
    let overflowed = (VALUES - 64) * THREADS;
    assert_eq!(counter.with(Upstream::overflow()).get(), overflowed as u64);
    assert_eq!(table.rejected(Rejection::Full), overflowed as u64);
    assert_eq!(
        counter.values().iter().sum::<u64>(),
        (VALUES * THREADS) as u64
    );
}

#[test]
fn resolving_an_admitted_value_does_not_allocate() {
    dynamic_label!(Region, name = "region", capacity = 16);
    let counter = Counter::<Region>::new();
    let first = allocations_during(|| counter.with(Region::admit("eu-west")).inc());
    assert!(first > 0, "admission allocates the value once");
    let later = allocations_during(|| {
        for _ in 0..1000 {
            counter.with(Region::admit("eu-west")).inc();
            let h = Region::lookup("eu-west").unwrap();
            counter.with(h).inc();
        }
        // Overflow once full is allocation-free too.
        assert!(Region::admit("").is_overflow());
    });
    assert_eq!(later, 0);
    assert_eq!(counter.with(Region::admit("eu-west")).get(), 2001);
}

#[test]
fn exposition_lists_admitted_series_and_overflow_once_used() {
    dynamic_label!(Customer, name = "customer", capacity = 3);
    let registry = Registry::builder().prefix("app").build().unwrap();
    let requests = registry
        .register(
            Desc::new("requests_total", "Requests."),
            Counter::<(Customer, bool)>::new(),
        )
        .unwrap();
    let depth = registry
        .register(Desc::new("queue_depth", "Depth."), Gauge::<Customer>::new())
        .unwrap();
    let latency = registry
        .register(
            Desc::new("latency", "Latency."),
            Histogram::<Customer>::new(),
        )
        .unwrap();
    let family = |name: &str| {
        registry
            .snapshot()
            .families
            .into_iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no family {name}"))
    };
    let customers = |name: &str| -> Vec<String> {
        let f = family(name);
        f.series
            .iter()
            .map(|s| {
                f.label_pairs(s)
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    };
    // Nothing admitted: no series at all, and the overflow family is
    // there with every count at zero for this label.
    assert!(customers("app_requests").is_empty());
    assert!(customers("app_queue_depth").is_empty());
    let zero = family("tally_label_overflow");
    assert_eq!(zero.series.len(), Rejection::ALL.len());

    let acme = Customer::admit("acme");
    requests.with((acme, true)).inc();
    depth.with(acme).set(3);
    latency.with(acme).record(7);
    assert_eq!(
        customers("app_requests"),
        ["customer=acme,flag=false", "customer=acme,flag=true"]
    );
    assert_eq!(customers("app_queue_depth"), ["customer=acme"]);
    assert_eq!(customers("app_latency"), ["customer=acme"]);

    Customer::declare(["b\"q", "c\\d"]).unwrap();
    let over = Customer::admit("zed");
    requests.with((over, false)).add(5);
    assert_eq!(
        customers("app_queue_depth"),
        [
            "customer=acme",
            "customer=b\"q",
            "customer=c\\d",
            "customer=__overflow__"
        ]
    );
    let overflow = family("tally_label_overflow");
    let full: Vec<_> = overflow
        .series
        .iter()
        .filter(|s| matches!(s.value, Value::Counter(1)))
        .map(|s| overflow.label_pairs(s).collect::<Vec<_>>())
        .collect();
    assert_eq!(full, [vec![("label", "customer"), ("reason", "full")]]);
    // A second family over the same label does not add a second row.
    assert_eq!(overflow.series.len(), Rejection::ALL.len());
}

#[test]
fn handles_round_trip_through_label_sets() {
    dynamic_label!(Zone, name = "zone", capacity = 4);
    type L = (Method, Zone, bool);
    assert_eq!(<L as LabelSet>::CARDINALITY, 6 * 5 * 2);
    let a = Zone::admit("a");
    let b = Zone::admit("b");
    for labels in [(Method::Get, a, true), (Method::Post, b, false)] {
        let index = labels.index();
        let back = L::from_index(index).unwrap();
        assert_eq!(back.1, labels.1);
        assert_eq!(<L as LabelSet>::DESC.value(index, 1), labels.1.as_str());
    }
    // Unadmitted ordinals do not decode.
    assert_eq!(Zone::from_ordinal(3), None);
    assert_eq!(Zone::from_ordinal(4), None, "overflow unused so far");
    let _ = Zone::overflow();
    assert!(Zone::from_ordinal(4).is_some());
    assert_eq!(format!("{a:?} {b}"), "Zone(\"a\") b");
}
