//! Every family without labels offers what its `Ref` offers: each method
//! of a series handle is called here on the unlabeled family itself, and
//! what it did is read back.

use std::time::Duration;

use tally_core::{
    Counter, FloatCounter, FloatGauge, Gauge, Histogram, MaxGauge, MinGauge, Window,
    WindowedCounter, WindowedHistogram,
};

#[test]
fn counters_offer_their_ref_methods() {
    let c = Counter::<()>::new();
    c.inc();
    c.add(2);
    c.add_with_exemplar(3, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331");
    assert_eq!(c.get(), 6);
    assert_eq!(c.with(()).get(), 6);

    let f = FloatCounter::<()>::new();
    f.add(1.5);
    assert_eq!(f.get(), 1.5);
}

#[test]
fn gauges_offer_their_ref_methods() {
    let g = Gauge::<()>::new();
    g.set(10);
    g.inc();
    g.dec();
    g.add(5);
    g.sub(3);
    assert_eq!(g.get(), 12);

    let f = FloatGauge::<()>::new();
    f.set(2.0);
    f.add(1.5);
    f.sub(0.5);
    assert_eq!(f.get(), 3.0);

    let max = MaxGauge::<()>::new();
    max.observe(3);
    max.observe(7);
    assert_eq!(max.get(), 7);
    assert_eq!(max.reset(), 7);
    let min = MinGauge::<()>::new();
    min.observe(3);
    min.observe(7);
    assert_eq!(min.get(), 3);
}

#[test]
fn histograms_offer_their_ref_methods() {
    let h = Histogram::<()>::new();
    h.record(1_000);
    h.record_duration(Duration::from_micros(2));
    h.record_f64(0.000_003);
    h.record_with_exemplar(
        4_000,
        "0af7651916cd43dd8448eb211c80319c",
        "b7ad6b7169203331",
    );
    h.record_duration_with_exemplar(
        Duration::from_micros(5),
        "0af7651916cd43dd8448eb211c80319c",
        "b7ad6b7169203331",
    );
    h.record_correct(6_000, 0);
    let snapshot = h.snapshot();
    assert_eq!(snapshot.count(), 6);
    assert_eq!(snapshot.count(), h.with(()).snapshot().count());
}

#[test]
fn windowed_families_offer_their_ref_methods() {
    let window = Window::new(Duration::from_secs(60), 6).unwrap();
    let c = WindowedCounter::<()>::new(window);
    c.inc();
    c.add(2);
    assert_eq!(c.get(), 3);

    let h = WindowedHistogram::<()>::new(window);
    h.record(1_000);
    h.record_duration(Duration::from_micros(2));
    h.record_f64(0.000_003);
    assert_eq!(h.snapshot().count(), 3);
    assert_eq!(h.with(()).snapshot().count(), 3);
}
