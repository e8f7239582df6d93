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
//!   type (the error-kind counter too).
//!
//! `cargo bench -p tally-benches --bench instrument`.

use std::sync::LazyLock;

use divan::{black_box, Bencher};
use tally::{Counter, Histogram, LabelValue};

fn main() {
    // First calls: the functions' series, the clock's calibration.
    let _ = instrumented(1);
    let _ = instrumented_failing(0);
    LATENCY.record(1);
    CALLS.inc();
    divan::main();
}

#[derive(Clone, Copy, Debug, LabelValue)]
enum Failure {
    Invalid,
}

#[inline(never)]
fn bare(n: u64) -> Result<u64, Failure> {
    if n == 0 {
        return Err(Failure::Invalid);
    }
    Ok(n.wrapping_mul(3))
}

#[inline(never)]
#[tally::instrument]
fn instrumented(n: u64) -> Result<u64, Failure> {
    if n == 0 {
        return Err(Failure::Invalid);
    }
    Ok(n.wrapping_mul(3))
}

#[inline(never)]
#[tally::instrument]
fn instrumented_failing(n: u64) -> Result<u64, Failure> {
    if n == 0 {
        return Err(Failure::Invalid);
    }
    Ok(n.wrapping_mul(3))
}

static LATENCY: LazyLock<Histogram> = LazyLock::new(Histogram::new);
static CALLS: LazyLock<Counter> = LazyLock::new(Counter::new);
static ERRORS: LazyLock<Counter> = LazyLock::new(Counter::new);

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
fn instrumented_fn(bencher: Bencher) {
    bencher.bench(|| instrumented(black_box(7)));
}

#[divan::bench(threads = [1, 2], sample_size = 4096, sample_count = 200)]
fn instrumented_fn_error(bencher: Bencher) {
    bencher.bench(|| instrumented_failing(black_box(0)));
}
