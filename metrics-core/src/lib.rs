//! tally's core: typed metric families and the registry exporters walk.
//!
//! - [`Counter`], [`Gauge`], [`FloatCounter`], [`FloatGauge`],
//!   [`MaxGauge`], [`MinGauge`], [`Histogram`] (HDR) and [`Computed`]
//!   metrics, each a dense family over a compile-time bounded
//!   [`LabelSet`];
//! - windowed counters and histograms ([`WindowedCounter`],
//!   [`WindowedHistogram`]) over a sliding time [`Window`];
//! - counters and histograms are sharded per thread on cache-padded
//!   blocks: recording is a plain load and store into the thread's own
//!   cells, exact under any concurrency;
//! - a [`Registry`] of described families, read through
//!   [`RegistrySnapshot`]s that never block writers;
//! - runtime-bounded labels ([`dynamic_label!`]): a compile-time capacity,
//!   values admitted at run time, a counted overflow value.
//!
//! This crate does no I/O; `metrics-export` encodes snapshots.

mod admission;
mod computed;
mod counter;
mod desc;
mod divisor;
pub mod dynamic_label;
mod error;
mod exemplar;
mod expiring;
mod float;
mod gauge;
mod histogram;
mod info;
pub mod instrument;
mod kind;
mod label;
mod lines;
mod lookup;
mod metric;
pub mod name;
mod prefetch;
mod registry;
mod sharded;
mod slot;
mod snapshot;
mod sparse;
mod sync;
mod test_hooks;
#[cfg(feature = "tracing")]
mod traced;
mod window;

/// Hooks for tests of many-core behaviour; not a stable API.
#[doc(hidden)]
pub mod __test_hooks {
    pub use crate::slot::force_cpus;
    pub use crate::test_hooks::{rss_anon_bytes, CountingAlloc};

    /// How many owned shards a histogram family keeps on this machine.
    pub fn histogram_shards() -> usize {
        crate::slot::histogram_shard_count()
    }
}

pub use computed::Computed;
pub use counter::{Counter, CounterRef, FloatCounter, FloatCounterRef};
pub use desc::{Desc, MetricKind, Unit};
pub use dynamic_label::{DynamicLabel, DynamicLabelError};
pub use error::RegistryError;
pub use exemplar::{exemplars_rejected, is_exemplar_id, Exemplar, EXEMPLAR_LABELS_MAX};
pub use gauge::{
    FloatGauge, FloatGaugeRef, Gauge, GaugeRef, MaxGauge, MaxGaugeRef, MinGauge, MinGaugeRef,
};
#[allow(deprecated)]
pub use histogram::Bucket;
pub use histogram::{
    HdrCell, Histogram, HistogramConfig, HistogramConfigError, HistogramRef, HistogramSnapshot,
    DEFAULT_SUMMARY_QUANTILES,
};
pub use info::{Info, InfoError};
pub use label::{LabelDesc, LabelSet, LabelValue};
pub use lookup::Found;
pub use metric::{CollectError, Collected, Collector, Described, Metric};
pub use registry::{Registry, RegistryBuilder};
pub use snapshot::{FamilySnapshot, RegistrySnapshot, Series, Value, ValueNames};
pub use sparse::Sparse;
#[cfg(feature = "tracing")]
pub use traced::{current_span_id, TracedCounter, TracedHistogram};
pub use window::{
    Clock, CoarseClock, ManualClock, RecentClock, Window, WindowError, WindowedCounter,
    WindowedCounterRef, WindowedHistogram, WindowedHistogramRef,
};

/// What `#[derive(LabelValue)]` expands to inside the workspace: a crate
/// that depends on tally-core but not on the facade (tally-export)
/// writes `#[label(crate = "::tally_core")]`, and the derive's
/// `<crate>::__private::LabelValue` and `<crate>::__private::tally_core`
/// paths resolve here. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate as tally_core;
    pub use crate::LabelValue;
}
