//! `#[derive(Metrics)]` with `Gauge` fields labelled by a runtime label
//! whose values expire (`dynamic_label!(..., idle_secs)`): alone, in a
//! tuple and in a `#[derive(LabelSet)]` struct; values read back from the
//! registry snapshot, and a value evicted after two exports and the idle
//! time whose slot's next value starts from 0.

use std::sync::Arc;
use std::time::Duration;

use tally::family::ManualClock;
use tally::{Gauge, LabelSet, LabelValue, Registry};

tally::dynamic_label!(
    /// The session a connection belongs to, forgotten after an idle hour.
    pub Session, name = "session", capacity = 2, idle_secs = 3600
);

#[derive(LabelValue, Clone, Copy, Debug, PartialEq)]
enum Dir {
    In,
    Out,
}

#[derive(LabelSet, Clone, Copy)]
struct Link {
    session: Session,
    dir: Dir,
}

#[derive(tally::Metrics)]
#[metrics(prefix = "net")]
struct Stats {
    /// Open streams, by session.
    streams: Gauge<Session>,
    /// Buffered bytes, by direction and session.
    buffered: Gauge<(Dir, Session)>,
    /// Window size, by the full label struct.
    window: Gauge<Link>,
}

#[test]
fn derived_gauges_with_an_expiring_label() {
    assert_eq!(<Link as LabelSet>::EXPIRING, 1);
    let clock = ManualClock::new();
    Session::table().set_clock(Arc::new(clock.clone()));
    let registry = Registry::new();
    let stats = Stats::register(&registry).unwrap();
    let a = Session::admit("a");
    stats.streams.with(a).set(4);
    stats.buffered.with((Dir::Out, a)).add(100);
    stats
        .window
        .with(Link {
            session: a,
            dir: Dir::In,
        })
        .set(65536);

    let snapshot = registry.snapshot();
    let value =
        |name: &str, labels: &[(&str, &str)]| snapshot.find(name, labels).and_then(|s| s.value());
    assert_eq!(value("net_streams", &[("session", "a")]), Some(4.0));
    assert_eq!(
        value("net_buffered", &[("dir", "out"), ("session", "a")]),
        Some(100.0)
    );
    assert_eq!(
        value("net_window", &[("session", "a"), ("dir", "in")]),
        Some(65536.0)
    );

    // a idles past two exports and the hour: b and c take the slots, and
    // the one in a's starts from 0.
    registry.snapshot();
    clock.advance(Duration::from_secs(3601));
    let b = Session::admit("b");
    let c = Session::admit("c");
    assert!(!b.is_overflow() && !c.is_overflow());
    assert!(a.name().is_none(), "a was evicted");
    let reused = if b.ordinal() == a.ordinal() { b } else { c };
    assert_eq!(stats.streams.with(reused).get(), 0);
    stats.streams.with(reused).inc();
    stats.streams.with(a).inc(); // a kept handle: overflow
    let snapshot = registry.snapshot();
    let value =
        |name: &str, labels: &[(&str, &str)]| snapshot.find(name, labels).and_then(|s| s.value());
    let reused = reused.name().unwrap();
    assert_eq!(value("net_streams", &[("session", &reused)]), Some(1.0));
    assert_eq!(
        value("net_streams", &[("session", "__overflow__")]),
        Some(1.0)
    );
    assert_eq!(value("net_streams", &[("session", "a")]), None);
}
