//! Reading a registry's values: [`Registry::snapshot`](crate::Registry::snapshot)
//! returns a [`RegistrySnapshot`], a consistent copy of every family's
//! series that encoders, tests and your own code read without touching
//! the live cells.

#[allow(deprecated)]
pub use tally_core::Bucket;
pub use tally_core::{
    FamilySnapshot, Found, HdrCell, HistogramSnapshot, RegistrySnapshot, Series, Value,
    DEFAULT_SUMMARY_QUANTILES,
};
