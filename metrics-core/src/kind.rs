//! The kind of a family. Its own module so that the naming rules
//! (`name.rs`, which depend on the kind) and the description (`desc.rs`,
//! which applies the naming rules) need not import each other.

/// The kind of a family, as exporters expose it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// A monotonic total; exposed with a `_total` suffix.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// A distribution of observed values (HDR histogram).
    Histogram,
    /// Quantiles, count and sum of a distribution over a sliding window
    /// (windowed histograms); the quantiles cannot be aggregated across
    /// instances.
    Summary,
    /// An OpenMetrics info family ([`Info`](crate::Info)): one series of
    /// value 1 whose labels carry the information; exposed as `name_info`
    /// (a gauge where the format has no info type).
    Info,
}
