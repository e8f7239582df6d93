//! Instruction counts of `#[tally::instrument]` beside its budget, for
//! `valgrind --tool=callgrind` (counts do not depend on machine load, as
//! the timings of `benches/instrument.rs` do). Each `run_*` function makes
//! `N` calls; callgrind's inclusive count of it divided by `N` is the cost
//! of one call:
//!
//! ```text
//! cargo bench -p tally-benches --bench instrument_ir --no-run
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/deps/instrument_ir-* 100000
//! callgrind_annotate --inclusive=yes cg.out | grep run_
//! ```
//!
//! Instruction counts leave out what an instruction costs: a TSC read is
//! one instruction here and about 20 cycles on the CPU.

use std::hint::black_box;

use tally::{Counter, Histogram};

#[path = "instrumented.rs"]
mod subject;
use subject::{bare, instrumented, instrumented_failing, CALLS, ERRORS, LATENCY};

#[inline(never)]
fn run_bare(n: u64) {
    for _ in 0..n {
        let _ = black_box(bare(black_box(7)));
    }
}

#[inline(never)]
fn run_budget(n: u64) {
    let (h, c, e): (&Histogram, &Counter, &Counter) = (&LATENCY, &CALLS, &ERRORS);
    for _ in 0..n {
        black_box(h).record(black_box(1_500));
        black_box(c).inc();
        black_box(e).inc();
    }
}

#[inline(never)]
fn run_instrumented(n: u64) {
    for _ in 0..n {
        let _ = black_box(instrumented(black_box(7)));
    }
}

#[inline(never)]
fn run_instrumented_error(n: u64) {
    for _ in 0..n {
        let _ = black_box(instrumented_failing(black_box(0)));
    }
}

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000u64);
    // First calls: series allocated, clock calibrated, thread slot taken.
    // (Outside the `run_*` functions, so their counts leave it out.)
    let _ = black_box(instrumented(black_box(7)));
    let _ = black_box(instrumented_failing(black_box(0)));
    LATENCY.record(1);
    CALLS.inc();
    ERRORS.inc();
    run_bare(n);
    run_budget(n);
    run_instrumented(n);
    run_instrumented_error(n);
}
