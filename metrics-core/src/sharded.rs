//! A family's per-thread shards: one lazily allocated block per thread slot,
//! plus one shared block for threads past the owned range.
//!
//! The slot table holds plain pointers, null until the slot's thread first
//! writes: the hot path is a thread-local load, a bounds check, a pointer
//! load and a null test, with everything else behind one `#[cold]` call.

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use crate::lines::Access;
use crate::slot;

/// A shard block: how to make an empty one shaped like another.
pub(crate) trait Block: Send + Sync + Sized {
    /// An empty block with the same shape as `self`.
    fn fresh(&self) -> Self;
}

/// Per-thread blocks of type `B`, indexed by the writer's thread slot.
pub(crate) struct Sharded<B: Block> {
    /// Null, or a block from `Box::into_raw` owned by this table.
    owned: Box<[AtomicPtr<B>]>,
    shared: B,
}

impl<B: Block> Sharded<B> {
    /// A table of `owned` slots (allocated on first use by their thread)
    /// and the given shared block, which also serves as the shape of
    /// every owned one.
    pub(crate) fn with_owned(owned: usize, shared: B) -> Self {
        Sharded {
            owned: (0..owned)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
            shared,
        }
    }

    /// A table with [`slot::shard_count`] owned slots.
    pub(crate) fn new(shared: B) -> Self {
        Self::with_owned(slot::shard_count(), shared)
    }

    /// The calling thread's own block, if it has one already: the whole
    /// of the hot path's shard lookup. Callers write it with
    /// [`Access::Owned`] and take [`block_cold`](Self::block_cold)
    /// otherwise, out of line.
    #[inline(always)]
    pub(crate) fn owned(&self) -> Option<&B> {
        let block = self.owned.get(slot::current())?.load(Ordering::Acquire);
        // SAFETY: a non-null entry came from `Box::into_raw` in
        // `block_cold` and is freed only in `drop`, which cannot run while
        // `&self` is borrowed.
        (!block.is_null()).then(|| unsafe { &*block })
    }

    /// The calling thread's block: its own with [`Access::Owned`]
    /// (allocated on its first write), or the shared one.
    #[inline(always)]
    pub(crate) fn block(&self) -> (&B, Access) {
        match self.owned() {
            Some(block) => (block, Access::Owned),
            None => self.block_cold(),
        }
    }

    /// The calling thread's block when [`owned`](Self::owned) has none:
    /// assigns the thread a slot and allocates the slot's block on first
    /// use, or returns the shared block past the owned range.
    #[cold]
    #[inline(never)]
    pub(crate) fn block_cold(&self) -> (&B, Access) {
        let Some(entry) = self.owned.get(slot::assign()) else {
            return (&self.shared, Access::Shared);
        };
        let mut block = entry.load(Ordering::Acquire);
        if block.is_null() {
            // Only the slot's owner installs its block; a store suffices,
            // and the release pairs with readers' acquire loads.
            block = Box::into_raw(Box::new(self.shared.fresh()));
            entry.store(block, Ordering::Release);
        }
        // SAFETY: as in `block`.
        (unsafe { &*block }, Access::Owned)
    }

    /// Heap bytes of the slot table and the owned blocks' inline parts
    /// (not what the blocks point to).
    pub(crate) fn table_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.owned) + self.owned_blocks().count() * size_of::<B>()
    }

    fn owned_blocks(&self) -> impl Iterator<Item = &B> {
        self.owned.iter().filter_map(|entry| {
            let block = entry.load(Ordering::Acquire);
            // SAFETY: as in `block`.
            (!block.is_null()).then(|| unsafe { &*block })
        })
    }

    /// Every block written so far, the shared one last.
    pub(crate) fn blocks(&self) -> impl Iterator<Item = &B> {
        self.owned_blocks().chain(std::iter::once(&self.shared))
    }
}

impl<B: Block> Drop for Sharded<B> {
    fn drop(&mut self) {
        for entry in self.owned.iter_mut() {
            let block = *entry.get_mut();
            if !block.is_null() {
                // SAFETY: came from `Box::into_raw` and is dropped once.
                drop(unsafe { Box::from_raw(block) });
            }
        }
    }
}
