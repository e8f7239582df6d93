//! The functions and budget families that `benches/instrument.rs`
//! (timings) and `benches/instrument_ir.rs` (instruction counts) both
//! measure: one definition, so the two always compare the same code.

use std::sync::LazyLock;

use tally::{Counter, Histogram, LabelValue};

/// The error kind of the measured functions.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Failure {
    /// `n == 0`.
    Invalid,
}

/// The function without instrumentation.
#[inline(never)]
pub fn bare(n: u64) -> Result<u64, Failure> {
    if n == 0 {
        return Err(Failure::Invalid);
    }
    Ok(n.wrapping_mul(3))
}

/// The same function under `#[tally::instrument]`.
#[inline(never)]
#[tally::instrument]
pub fn instrumented(n: u64) -> Result<u64, Failure> {
    if n == 0 {
        return Err(Failure::Invalid);
    }
    Ok(n.wrapping_mul(3))
}

/// The same again, called only with `Err` results (its own series, so
/// the error path is measured on warm cells of its own).
#[inline(never)]
#[tally::instrument]
pub fn instrumented_failing(n: u64) -> Result<u64, Failure> {
    if n == 0 {
        return Err(Failure::Invalid);
    }
    Ok(n.wrapping_mul(3))
}

/// The budget: one histogram record...
pub static LATENCY: LazyLock<Histogram> = LazyLock::new(Histogram::new);
/// ...and two counter increments per call.
pub static CALLS: LazyLock<Counter> = LazyLock::new(Counter::new);
/// The second counter of the budget.
pub static ERRORS: LazyLock<Counter> = LazyLock::new(Counter::new);
