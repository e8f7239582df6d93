//! Reading a registry's values: [`Registry::snapshot`](crate::Registry::snapshot)
//! returns a [`RegistrySnapshot`], a consistent copy of every family's
//! series that encoders, tests and your own code read without touching
//! the live cells.

pub use tally_core::{
    Bucket, FamilySnapshot, Found, HistogramSnapshot, RegistrySnapshot, Series, Value,
    DEFAULT_SUMMARY_QUANTILES,
};
