//! The two traits the registry walks: a [`Metric`] is one family's values;
//! a [`Collector`] owns one or more described families.

use crate::desc::{Desc, MetricKind};
use crate::label::LabelDesc;
use crate::snapshot::{Series, ValueNames};

/// One family's storage, readable as a snapshot. Implemented by every
/// family type ([`Counter`](crate::Counter), [`Gauge`](crate::Gauge),
/// [`Histogram`](crate::Histogram), ...). Reading never blocks writers.
pub trait Metric: Send + Sync {
    /// How exporters expose it.
    fn kind(&self) -> MetricKind;

    /// Its label names and values.
    fn labels(&self) -> &'static LabelDesc;

    /// Reads the current value of every series. `Err` when a computed
    /// metric could not produce a value (its closure panicked).
    fn collect(&self) -> Result<Collected, CollectError>;

    /// Asks the CPU to start loading what [`collect`](Self::collect) will
    /// read, `depth` pointers away from `self` (0: what `self` points at
    /// directly), without waiting: the registry calls it on the families
    /// after the one it reads, deeper for the nearer ones, so a scrape
    /// larger than the cache does not stall on each family's memory in
    /// turn. The default asks for nothing.
    fn prefetch(&self, depth: usize) {
        let _ = depth;
    }
}

/// What one [`Metric::collect`] read.
#[derive(Debug, Default)]
pub struct Collected {
    /// The series, by ascending index. Counters and gauges list every
    /// series; histograms only those that recorded something.
    pub series: Vec<Series>,
    /// Values that fell outside a histogram's range and were clamped into
    /// it (always 0 for other kinds).
    pub clamped: u64,
    /// The names of its label values, read with the series, for a family
    /// whose values are neither `'static` nor in an expiring
    /// `dynamic_label!` table (e.g. the `metrics` recorder's labels when
    /// idle series expire): label `l`'s value `o` is exposed as
    /// `names.get(l, o)` when that is `Some`. Empty (the default) for
    /// families whose [`LabelDesc`] names their values. The registry
    /// ignores it for a family with an expiring label.
    pub names: ValueNames,
}

/// Why a family could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The closure of a computed metric panicked; its series were skipped.
    #[error("the computed metric's closure panicked: {0}")]
    Panicked(String),
}

/// Something that owns described families: a derived stats struct, or a
/// single family registered with a name. The registry keeps it in an `Arc`
/// and visits it on every scrape.
pub trait Collector: Send + Sync {
    /// Calls `visit` once per family, in a stable order.
    fn for_each_family(&self, visit: &mut dyn FnMut(&Desc, &dyn Metric));

    /// Asks the CPU to start loading the memory of its families that a
    /// scrape reads, `depth` pointers away from `self` (0: its own
    /// fields' targets), without waiting; see [`Metric::prefetch`]. The
    /// default asks for nothing.
    fn prefetch(&self, depth: usize) {
        let _ = depth;
    }
}

/// One family with its description: what [`Registry::register`](crate::Registry::register)
/// keeps for a family registered by name.
pub struct Described<M> {
    desc: Desc,
    metric: std::sync::Arc<M>,
}

impl<M> Described<M> {
    /// Pairs a family with its description.
    pub fn new(desc: Desc, metric: std::sync::Arc<M>) -> Self {
        Described { desc, metric }
    }
}

impl<M: Metric + 'static> Collector for Described<M> {
    fn for_each_family(&self, visit: &mut dyn FnMut(&Desc, &dyn Metric)) {
        visit(&self.desc, &*self.metric)
    }

    fn prefetch(&self, depth: usize) {
        match depth {
            0 => {
                crate::prefetch::prefetch(self.desc.name.as_ptr());
                crate::prefetch::prefetch(self.desc.help.as_ptr());
                crate::prefetch::prefetch(std::sync::Arc::as_ptr(&self.metric));
            }
            _ => self.metric.prefetch(depth - 1),
        }
    }
}

/// `Debug` for a family type: its kind and the series it would expose.
macro_rules! debug_via_collect {
    ($($ty:ident),+) => {$(
        impl<L: $crate::label::LabelSet> ::std::fmt::Debug for $ty<L> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let collected = $crate::metric::Metric::collect(self);
                f.debug_struct(stringify!($ty))
                    .field("series", &collected.map(|c| c.series))
                    .finish()
            }
        }
    )+};
}
pub(crate) use debug_via_collect;
