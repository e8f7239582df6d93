//! What `#[tally::instrument]` adds to a call, in one run beside what it
//! is compared with:
//!
//! - `bare`: the function without instrumentation;
//! - `histogram_record_and_two_counter_incs`: one `Histogram::record` and
//!   two `Counter::inc`s, the budget the attribute is held to (within
//!   3x of it);
//! - `instrumented`: the same function under `#[tally::instrument]`
//!   (a clock read at entry and exit, the in-flight gauge up and down,
//!   the latency recorded, the call counted by result);
//! - `instrumented_error`: the same returning an `Err` of a `LabelValue`
//!   type (the error-kind counter too);
//! - `two_clock_reads`: the clock part alone, two raw TSC reads and their
//!   difference scaled to nanoseconds (what the attribute reads per call):
//!   the floor of `instrumented_fn` over `bare_fn`, whatever the rest costs.
//!
//! `cargo bench -p tally-benches --bench instrument`.

use std::sync::LazyLock;

use divan::{black_box, Bencher};
use tally::{Counter, Histogram};

#[path = "instrumented.rs"]
mod subject;
use subject::{bare, instrumented, instrumented_failing, CALLS, ERRORS, LATENCY};

fn main() {
    // First calls: the functions' series, the clock's calibration.
    let _ = instrumented(1);
    let _ = instrumented_failing(0);
    LATENCY.record(1);
    CALLS.inc();
    let _ = CLOCK.raw();
    divan::main();
}

#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn bare_fn(bencher: Bencher) {
    bencher.bench(|| bare(black_box(7)));
}

#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn histogram_record_and_two_counter_incs(bencher: Bencher) {
    let (h, c, e): (&Histogram, &Counter, &Counter) = (&LATENCY, &CALLS, &ERRORS);
    bencher.bench(move || {
        black_box(h).record(black_box(1_500));
        black_box(c).inc();
        black_box(e).inc();
    });
}

#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn two_clock_reads(bencher: Bencher) {
    let clock = &*CLOCK;
    bencher.bench(move || {
        let start = black_box(clock).raw();
        let end = black_box(clock).raw();
        clock.delta_as_nanos(start, end)
    });
}

static CLOCK: LazyLock<quanta::Clock> = LazyLock::new(quanta::Clock::new);

#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn instrumented_fn(bencher: Bencher) {
    bencher.bench(|| instrumented(black_box(7)));
}

#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn instrumented_fn_error(bencher: Bencher) {
    bencher.bench(|| instrumented_failing(black_box(0)));
}
