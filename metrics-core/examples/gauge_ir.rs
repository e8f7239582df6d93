//! Instruction counts of gauge writes, with and without a label that
//! expires, for `valgrind --tool=callgrind` (as `benches/labels_ir.rs`
//! does for counters). Each `run_*` function makes `N` writes through
//! `with(black_box(label))`; callgrind's inclusive count of it divided by
//! `N` is the cost of one:
//!
//! ```text
//! cargo build --release -p tally-core --example gauge_ir
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/examples/gauge_ir 1000000
//! callgrind_annotate --inclusive=yes cg.out | grep run_
//! ```

use std::hint::black_box;
use std::sync::LazyLock;

use tally_core::{dynamic_label, Gauge};

dynamic_label!(Tenant, name = "tenant", capacity = 64);
dynamic_label!(Session, name = "session", capacity = 64, idle_secs = 3600);

static PLAIN: LazyLock<Gauge<bool>> = LazyLock::new(Gauge::new);
static DYNAMIC: LazyLock<Gauge<Tenant>> = LazyLock::new(Gauge::new);
static EXPIRING: LazyLock<Gauge<Session>> = LazyLock::new(Gauge::new);
static EXPIRING_PAIR: LazyLock<Gauge<(Session, bool)>> = LazyLock::new(Gauge::new);

/// `n` increments of a gauge labelled by an enum (`bool`).
#[inline(never)]
fn run_plain_inc(n: u64) {
    let g: &Gauge<bool> = &PLAIN;
    for _ in 0..n {
        g.with(black_box(true)).inc();
    }
}

/// `n` sets of a gauge labelled by an enum (`bool`).
#[inline(never)]
fn run_plain_set(n: u64) {
    let g: &Gauge<bool> = &PLAIN;
    for i in 0..n {
        g.with(black_box(true)).set(i as i64);
    }
}

/// `n` increments through a runtime label that never expires.
#[inline(never)]
fn run_dynamic_inc(n: u64, t: Tenant) {
    let g: &Gauge<Tenant> = &DYNAMIC;
    for _ in 0..n {
        g.with(black_box(t)).inc();
    }
}

/// `n` increments through a label that expires.
#[inline(never)]
fn run_expiring_inc(n: u64, s: Session) {
    let g: &Gauge<Session> = &EXPIRING;
    for _ in 0..n {
        g.with(black_box(s)).inc();
    }
}

/// `n` sets through a label that expires.
#[inline(never)]
fn run_expiring_set(n: u64, s: Session) {
    let g: &Gauge<Session> = &EXPIRING;
    for i in 0..n {
        g.with(black_box(s)).set(i as i64);
    }
}

/// `n` increments through a label that expires, first of two.
#[inline(never)]
fn run_expiring_pair_inc(n: u64, s: Session) {
    let g: &Gauge<(Session, bool)> = &EXPIRING_PAIR;
    for _ in 0..n {
        g.with(black_box((s, true))).inc();
    }
}

/// The loop alone.
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
    // First writes: marks and cells taken outside the runs.
    PLAIN.with(false).inc();
    DYNAMIC.with(t).inc();
    EXPIRING.with(s).inc();
    EXPIRING_PAIR.with((s, false)).inc();
    run_empty(n);
    run_plain_inc(n);
    run_plain_set(n);
    run_dynamic_inc(n, t);
    run_expiring_inc(n, s);
    run_expiring_set(n, s);
    run_expiring_pair_inc(n, s);
    assert_eq!(EXPIRING.with(s).get(), n as i64 - 1);
    assert_eq!(EXPIRING_PAIR.with((s, true)).get(), n as i64);
}
