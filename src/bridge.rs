//! Other metrics libraries, into and out of a tally registry: a `metrics`
//! crate recorder that records its `counter!`, `gauge!` and `histogram!`
//! macros into tally families
//! (feature `metrics-recorder`), and a prometheus-client `Collector`
//! that exposes a tally registry inside a prometheus-client registry
//! (feature `prometheus-client`).

#[cfg(feature = "prometheus-client")]
#[cfg_attr(docsrs, doc(cfg(feature = "prometheus-client")))]
pub use tally_export::TallyCollector;
#[cfg(feature = "metrics-recorder")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics-recorder")))]
pub use tally_export::{
    DroppedReason, ExpiredWhat, RecorderError, TallyRecorder, DEFAULT_MAX_SERIES,
};
