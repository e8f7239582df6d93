//! Instrumented functions: what `#[tally::instrument]` records into.
//!
//! Every instrumented function owns one [`Function`] in a `static` the
//! attribute declares (its name and objective are constants), submitted
//! at link time (the `inventory` crate) to the program's list of
//! instrumented functions: [`functions`], [`register`] and the rule and
//! dashboard generators see every function before its first call
//! ([`link`] joins them). Four shared families expose them, labelled by
//! `function` (the set of instrumented functions of the program: bounded,
//! known at compile time, nothing taken from run-time input):
//!
//! | family | kind | labels |
//! |--------|------|--------|
//! | `function_calls_total` | counter | `function`, `result` (`ok`, `error`, `cancelled`, `panicked`) |
//! | `function_calls_errors_total` | counter | `function`, `error_kind` (the variant of an error type implementing `LabelValue`) |
//! | `function_calls_duration_seconds` | histogram | `function` |
//! | `function_calls_concurrent` | gauge | `function` |
//!
//! The names follow the autometrics specification (`function_calls_total`,
//! `function_calls_duration_seconds`, `function_calls_concurrent`), so its
//! dashboards and queries read them. The families are registered into
//! [`Registry::global()`](crate::Registry::global) on the first call of
//! any instrumented function; [`register`] adds them to another registry.

mod clock;
mod collector;
mod function;
mod objective;
mod outcome;

pub use collector::{
    functions, link, register, FunctionInfo, CALLS, CONCURRENT, DURATION, ERRORS, ERROR_KIND_LABEL,
    FUNCTION_LABEL, RESULT_LABEL,
};
pub use function::{Call, Function};
pub use objective::{FamilyObjective, LatencyObjective, Objective, SUCCESS_LABEL, SUCCESS_VALUE};
pub use outcome::{Outcome, Verdict};

/// The classic bucket bounds (seconds) of `function_calls_duration_seconds`,
/// the exporters' default for latencies; a latency objective's threshold
/// must be one of them, so Prometheus counts the calls under it exactly.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.000_001,
    0.000_002_5,
    0.000_005,
    0.000_01,
    0.000_025,
    0.000_05,
    0.000_1,
    0.000_25,
    0.000_5,
    0.001,
    0.002_5,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    25.0,
    50.0,
    100.0,
];

/// What the attribute's generated code names; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use super::collector::Linked;
    pub use super::function::{Call, Function};
    pub use super::objective::{LatencyObjective, Objective};
    pub use super::outcome::{Probe, ViaAny, ViaLabel, ViaResult};
    pub use inventory::submit;
}
