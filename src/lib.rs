//! # tally
//!
//! Declarative, compile-time bounded, per-thread sharded metrics.
//!
//! Describe a service's stats as a plain struct of metric families whose
//! labels are fieldless enums; tally checks the labels and names at compile
//! time, stores each family densely in cache-padded per-thread shards, and
//! exposes the registry through ready exporters.
//!
//! The facade re-exports everything a service needs: the families and the
//! registry from `metrics-core`, the derives from `metrics-derive` and the
//! exporters from `metrics-export`.

pub use metrics_core::*;
pub use metrics_derive::{LabelSet, LabelValue, Metrics};
pub use metrics_export::*;

mod derive_support;
pub mod testing;

/// Paths the derive macros' generated code uses. Not a public API: it may
/// change in any release.
#[doc(hidden)]
pub mod __private {
    pub use metrics_core;
    pub use metrics_core::{
        Collector, Desc, HistogramConfig, LabelDesc, LabelSet, LabelValue, Metric, Registry,
        RegistryError, Unit, Window,
    };
    pub use std::eprintln;
    pub use std::sync::{Arc, OnceLock};

    pub use crate::derive_support::{check_family, register, Global};
}
