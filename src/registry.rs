//! Extending a [`Registry`](crate::Registry) by hand: families computed
//! at scrape time ([`Collector`]), your own family types ([`Metric`]),
//! their descriptors, and the naming rules every family name and label
//! passes ([`name`]).
//!
//! Derived structs need none of this; it is for collectors of values
//! tally does not record itself (a connection pool's size read on
//! demand, another library's counters).

pub use tally_core::name;
pub use tally_core::{
    CollectError, Collected, Collector, Desc, Described, LabelDesc, Metric, MetricKind, Sparse,
};
