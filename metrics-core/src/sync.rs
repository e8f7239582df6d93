//! The synchronization primitives the sharded cells are built from.
//!
//! Under `--cfg tally_loom` they are loom's model-checked stand-ins, so the
//! thread-slot handoff and the owner-only increment can be explored by
//! `loom::model` (see the `loom` tests in `slot.rs`).

#[cfg(tally_loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicU64, Ordering},
    Mutex,
};
#[cfg(not(tally_loom))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicU64, Ordering},
    Mutex,
};
