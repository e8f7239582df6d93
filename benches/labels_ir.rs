//! Instruction counts of recording through each kind of label, for
//! `valgrind --tool=callgrind` (counts do not depend on machine load, as
//! the timings of `benches/core.rs` do). Each `run_*` function makes `N`
//! increments through `with(black_box(label)).inc()` of a counter (the
//! `run_hist_*` ones `N` records through `.record(..)`, the `run_gauge_*`
//! ones `N` gauge `inc`s or `set`s);
//! callgrind's inclusive count of it divided by `N` is the cost of one:
//!
//! ```text
//! cargo bench -p tally-benches --bench labels_ir --no-run
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/deps/labels_ir-* 1000000
//! callgrind_annotate --inclusive=yes cg.out | grep run_
//! ```

use std::hint::black_box;
use std::sync::LazyLock;

use tally::{Counter, Gauge, Histogram, LabelValue};

#[derive(Clone, Copy, LabelValue)]
enum Shard {
    A,
    B,
    C,
}

#[derive(Clone, Copy, LabelValue)]
enum Status {
    Ok,
    Err,
}

tally::dynamic_label!(Tenant, name = "tenant", capacity = 64);
tally::dynamic_label!(Session, name = "session", capacity = 64, idle_secs = 3600);

static ENUM: LazyLock<Counter<Shard>> = LazyLock::new(Counter::new);
static DYNAMIC: LazyLock<Counter<Tenant>> = LazyLock::new(Counter::new);
static EXPIRING: LazyLock<Counter<Session>> = LazyLock::new(Counter::new);
static EXPIRING_PAIR: LazyLock<Counter<(Session, Status)>> = LazyLock::new(Counter::new);
static HIST_ENUM: LazyLock<Histogram<Shard>> = LazyLock::new(Histogram::new);
static HIST_DYNAMIC: LazyLock<Histogram<Tenant>> = LazyLock::new(Histogram::new);
static HIST_EXPIRING: LazyLock<Histogram<Session>> = LazyLock::new(Histogram::new);
static GAUGE_ENUM: LazyLock<Gauge<Shard>> = LazyLock::new(Gauge::new);
static GAUGE_DYNAMIC: LazyLock<Gauge<Tenant>> = LazyLock::new(Gauge::new);
static GAUGE_EXPIRING: LazyLock<Gauge<Session>> = LazyLock::new(Gauge::new);

#[inline(never)]
fn run_gauge_enum(n: u64) {
    let g: &Gauge<Shard> = &GAUGE_ENUM;
    for _ in 0..n {
        g.with(black_box(Shard::B)).inc();
    }
}

#[inline(never)]
fn run_gauge_dynamic(n: u64, t: Tenant) {
    let g: &Gauge<Tenant> = &GAUGE_DYNAMIC;
    for _ in 0..n {
        g.with(black_box(t)).inc();
    }
}

#[inline(never)]
fn run_gauge_expiring(n: u64, s: Session) {
    let g: &Gauge<Session> = &GAUGE_EXPIRING;
    for _ in 0..n {
        g.with(black_box(s)).inc();
    }
}

#[inline(never)]
fn run_gauge_expiring_set(n: u64, s: Session) {
    let g: &Gauge<Session> = &GAUGE_EXPIRING;
    for i in 0..n {
        g.with(black_box(s)).set(i as i64);
    }
}

#[inline(never)]
fn run_enum(n: u64) {
    let c: &Counter<Shard> = &ENUM;
    for _ in 0..n {
        c.with(black_box(Shard::B)).inc();
    }
}

#[inline(never)]
fn run_dynamic(n: u64, t: Tenant) {
    let c: &Counter<Tenant> = &DYNAMIC;
    for _ in 0..n {
        c.with(black_box(t)).inc();
    }
}

#[inline(never)]
fn run_expiring(n: u64, s: Session) {
    let c: &Counter<Session> = &EXPIRING;
    for _ in 0..n {
        c.with(black_box(s)).inc();
    }
}

#[inline(never)]
fn run_expiring_pair(n: u64, s: Session) {
    let c: &Counter<(Session, Status)> = &EXPIRING_PAIR;
    for _ in 0..n {
        c.with(black_box((s, Status::Err))).inc();
    }
}

#[inline(never)]
fn run_hist_enum(n: u64) {
    let h: &Histogram<Shard> = &HIST_ENUM;
    for _ in 0..n {
        h.with(black_box(Shard::B)).record(black_box(1_000));
    }
}

#[inline(never)]
fn run_hist_dynamic(n: u64, t: Tenant) {
    let h: &Histogram<Tenant> = &HIST_DYNAMIC;
    for _ in 0..n {
        h.with(black_box(t)).record(black_box(1_000));
    }
}

#[inline(never)]
fn run_hist_expiring(n: u64, s: Session) {
    let h: &Histogram<Session> = &HIST_EXPIRING;
    for _ in 0..n {
        h.with(black_box(s)).record(black_box(1_000));
    }
}

#[inline(never)]
fn run_empty(n: u64) {
    for _ in 0..n {
        black_box(());
    }
}

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000u64);
    let t = Tenant::admit("acme");
    let s = Session::admit("s-1");
    // First writes: the thread's slot and blocks taken outside the runs.
    ENUM.with(Shard::A).inc();
    DYNAMIC.with(t).inc();
    EXPIRING.with(s).inc();
    EXPIRING_PAIR.with((s, Status::Ok)).inc();
    HIST_ENUM.with(Shard::B).record(1_000);
    HIST_DYNAMIC.with(t).record(1_000);
    HIST_EXPIRING.with(s).record(1_000);
    GAUGE_ENUM.with(Shard::A).inc();
    GAUGE_DYNAMIC.with(t).inc();
    GAUGE_EXPIRING.with(s).inc();
    let _ = Shard::C;
    // Timed too, as a rough cross-check (meaningless under callgrind).
    let timed = |name: &str, run: &dyn Fn()| {
        let start = std::time::Instant::now();
        run();
        eprintln!(
            "{name}: {:.2} ns per operation",
            start.elapsed().as_nanos() as f64 / n as f64
        );
    };
    timed("empty", &|| run_empty(n));
    timed("counter, enum", &|| run_enum(n));
    timed("counter, dynamic", &|| run_dynamic(n, t));
    timed("counter, expiring", &|| run_expiring(n, s));
    timed("counter, expiring first of two", &|| {
        run_expiring_pair(n, s)
    });
    timed("histogram, enum", &|| run_hist_enum(n));
    timed("histogram, dynamic", &|| run_hist_dynamic(n, t));
    timed("histogram, expiring", &|| run_hist_expiring(n, s));
    timed("gauge, enum", &|| run_gauge_enum(n));
    timed("gauge, dynamic", &|| run_gauge_dynamic(n, t));
    timed("gauge, expiring", &|| run_gauge_expiring(n, s));
    timed("gauge, expiring, set", &|| run_gauge_expiring_set(n, s));
    assert_eq!(EXPIRING.with(s).get(), n + 1);
    assert_eq!(HIST_EXPIRING.with(s).snapshot().count(), n + 1);
    assert_eq!(GAUGE_EXPIRING.with(s).get(), n as i64 - 1);
}
