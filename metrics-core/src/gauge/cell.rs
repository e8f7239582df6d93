//! The 128-bit cell of a gauge series whose label expires: the generation
//! it was written under (high 64 bits) and its value (low 64 bits), read
//! and replaced together.
//!
//! Outside loom it is a [`portable_atomic::AtomicU128`] (`cmpxchg16b` on
//! x86-64, detected at run time unless the target enables it). Under
//! `--cfg tally_loom` loom has no 128-bit atomic: the stand-in is a
//! `loom::sync::Mutex<u128>`, which the model explores as one
//! synchronizing read-modify-write, as the real CAS is.

use crate::sync::Ordering;

/// A generation and a value, packed: `generation << 64 | value as u64`.
pub(super) type Packed = u128;

/// Packs `generation` and `value`.
#[inline(always)]
pub(super) fn pack(generation: u32, value: i64) -> Packed {
    (u128::from(generation) << 64) | u128::from(value as u64)
}

/// The generation of a packed cell.
#[inline(always)]
pub(super) fn generation_of(packed: Packed) -> u32 {
    (packed >> 64) as u32
}

/// The value of a packed cell.
#[inline(always)]
pub(super) fn value_of(packed: Packed) -> i64 {
    packed as u64 as i64
}

/// One (generation, value) cell, starting at generation 0 and value 0.
#[cfg(not(tally_loom))]
pub(super) struct GenCell(portable_atomic::AtomicU128);

#[cfg(not(tally_loom))]
impl GenCell {
    /// A cell holding generation 0, value 0.
    pub(super) fn new() -> Self {
        GenCell(portable_atomic::AtomicU128::new(0))
    }

    /// The generation and value, in one atomic load.
    #[inline(always)]
    pub(super) fn load(&self, order: Ordering) -> Packed {
        self.0.load(order)
    }

    /// Replaces `current` with `new` if the cell still holds `current`;
    /// else returns what it holds.
    #[inline(always)]
    pub(super) fn compare_exchange(&self, current: Packed, new: Packed) -> Result<(), Packed> {
        self.0
            .compare_exchange_weak(current, new, Ordering::AcqRel, Ordering::Acquire)
            .map(drop)
    }
}

/// One (generation, value) cell: loom's stand-in (a mutex).
#[cfg(tally_loom)]
pub(super) struct GenCell(crate::sync::Mutex<u128>);

#[cfg(tally_loom)]
impl GenCell {
    /// A cell holding generation 0, value 0.
    pub(super) fn new() -> Self {
        GenCell(crate::sync::Mutex::new(0))
    }

    /// The generation and value, read under the lock.
    pub(super) fn load(&self, _order: Ordering) -> Packed {
        *self.0.lock().unwrap()
    }

    /// Replaces `current` with `new` under the lock if the cell holds
    /// `current`; else returns what it holds.
    pub(super) fn compare_exchange(&self, current: Packed, new: Packed) -> Result<(), Packed> {
        let mut cell = self.0.lock().unwrap();
        if *cell == current {
            *cell = new;
            Ok(())
        } else {
            Err(*cell)
        }
    }
}
