//! Service-level objectives of instrumented functions and of families:
//! what the rule and dashboard generators read.

use std::time::Duration;

use crate::desc::MetricKind;
use crate::label::LabelDesc;

/// The label a counter family with a success objective must have: its
/// events whose `result` is not [`SUCCESS_VALUE`] are failures.
pub const SUCCESS_LABEL: &str = "result";
/// The `result` value of a successful event; every other value of the
/// label is a failure.
pub const SUCCESS_VALUE: &str = "ok";

/// A family's objective, as [`Registry::objectives`](crate::Registry::objectives)
/// lists it for the rule and dashboard generators.
#[derive(Clone, Debug)]
pub struct FamilyObjective {
    /// The family's exposed name (prefix and unit suffix; without a
    /// counter's `_total`).
    pub family: String,
    /// Its kind: a counter (success objective) or a histogram (latency).
    pub kind: MetricKind,
    /// Its labels.
    pub labels: &'static LabelDesc,
    /// The objective.
    pub objective: Objective,
}

/// A service-level objective: a success ratio and/or a latency target,
/// over a window. Declared on a function with
/// `#[tally::instrument(objective(success = 99.9, latency = "250ms", latency_target = 99.0, window = "30d"))]`,
/// or on a family field with `#[metric(objective(...))]` (the same keys),
/// checked when the macro expands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Objective {
    /// The percentage of calls that must not fail (`0 < success < 100`):
    /// failed calls are those whose `result` is `error` or `panicked`.
    pub success: Option<f64>,
    /// A latency threshold and the percentage of calls under it.
    pub latency: Option<LatencyObjective>,
    /// The window the objective is measured over (the error budget's).
    pub window: Duration,
}

/// "`target` percent of calls take at most `threshold` seconds".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyObjective {
    /// The threshold in seconds: one of the latency histogram's classic
    /// bucket bounds, so Prometheus can count the calls under it.
    pub threshold: f64,
    /// The percentage of calls at or under the threshold (`0 < target < 100`).
    pub target: f64,
}
