//! An `f64` stored as the bits of an `AtomicU64`, updated by CAS.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crossbeam_utils::CachePadded;

use crate::snapshot::{Series, Value};

/// An atomic `f64` on its own cache line.
pub(crate) struct AtomicF64(CachePadded<AtomicU64>);

impl AtomicF64 {
    pub(crate) fn new(v: f64) -> Self {
        AtomicF64(CachePadded::new(AtomicU64::new(v.to_bits())))
    }

    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Relaxed))
    }

    pub(crate) fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Relaxed)
    }

    /// Adds `v` with a compare-and-swap loop on the bits.
    pub(crate) fn add(&self, v: f64) {
        // The closure always returns Some, so this never fails.
        let _ = self.0.fetch_update(Relaxed, Relaxed, |bits| {
            Some((f64::from_bits(bits) + v).to_bits())
        });
    }
}

/// Every cell as a series of the given value kind.
pub(crate) fn series(cells: &[AtomicF64], value: fn(f64) -> Value) -> Vec<Series> {
    cells
        .iter()
        .enumerate()
        .map(|(index, cell)| Series::new(index, value(cell.get())))
        .collect()
}
