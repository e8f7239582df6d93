//! A family's per-thread shards: one lazily allocated block per thread slot,
//! plus one shared block for threads past the owned range.
//!
//! The slot table holds plain pointers, null until the slot's thread first
//! writes: the hot path is a thread-local load, a pointer load and a null
//! test, with everything else behind one `#[cold]` call. Every table has
//! the same `shard_count() + 1` entries, entry 0 always null, so the
//! thread-local index (slot + 1, or 0) needs no bounds check.

use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use crate::slot;

/// Who may write the block being updated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// Only the calling thread writes it: a load and a store suffice.
    Owned,
    /// Any thread may write it: atomic read-modify-write.
    Shared,
}

/// A shard block: how to make an empty one shaped like another, and how
/// a table holds one as a thin pointer (a counter family's block is its
/// unsized cells, so the hot path goes from the table to a cell in one
/// load).
///
/// # Safety
/// `from_thin(into_thin(b), shape)` must return the pointer `b` was,
/// for every `b` made by `shape.fresh()` (or `shape` itself).
pub(crate) unsafe trait Block: Send + Sync {
    /// An empty block with the same shape as `self`.
    fn fresh(&self) -> Box<Self>;

    /// The block, leaked, as a thin pointer.
    fn into_thin(block: Box<Self>) -> *mut u8;

    /// The block a thin pointer of one shaped like `shape` stands for.
    ///
    /// # Safety
    /// `thin` came from [`into_thin`](Self::into_thin) of a block made by
    /// `shape.fresh()`.
    unsafe fn from_thin(thin: *mut u8, shape: &Self) -> *mut Self;

    /// Bytes of the block's own allocation that its `heap_bytes` does not
    /// count (a sized block's struct; nothing for unsized cells).
    fn inline_bytes(&self) -> usize;

    /// Asks the CPU to start loading what a read of the block touches,
    /// `depth` pointers away from it (see [`crate::prefetch`]); by
    /// default its first line at depth 0.
    fn prefetch(&self, depth: usize) {
        if depth == 0 {
            crate::prefetch::prefetch(self);
        }
    }
}

/// [`Block`] for a sized block type whose `fresh` is the given function.
macro_rules! sized_block {
    ($ty:ty, |$shape:ident| $fresh:expr) => {
        $crate::sharded::sized_block!($ty, |$shape| $fresh, prefetch = |_block, _depth| {});
    };
    ($ty:ty, |$shape:ident| $fresh:expr, prefetch = |$block:ident, $depth:ident| $deeper:expr) => {
        // SAFETY: a sized block's thin pointer is its box's pointer.
        unsafe impl $crate::sharded::Block for $ty {
            fn fresh(&self) -> Box<Self> {
                let $shape = self;
                Box::new($fresh)
            }

            fn into_thin(block: Box<Self>) -> *mut u8 {
                Box::into_raw(block).cast::<u8>()
            }

            unsafe fn from_thin(thin: *mut u8, _shape: &Self) -> *mut Self {
                thin.cast::<Self>()
            }

            fn inline_bytes(&self) -> usize {
                size_of::<Self>()
            }

            fn prefetch(&self, depth: usize) {
                match depth {
                    0 => $crate::prefetch::prefetch(self),
                    $depth => {
                        let $block = self;
                        $deeper
                    }
                }
            }
        }
    };
}
pub(crate) use sized_block;

/// Per-thread blocks of type `B`, indexed by the writer's thread slot.
pub(crate) struct Sharded<B: Block + ?Sized> {
    /// Entry `slot + 1`: null, or the block (from [`Block::into_thin`])
    /// owned by this table of the thread holding `slot`, for slots below
    /// `limit`. Entry 0 (unassigned, retired and unowned threads) and
    /// those past `limit` stay null. [`slot::shard_count`]` + 1` entries,
    /// so [`slot::hot`] indexes it without a bounds check.
    owned: Box<[AtomicPtr<u8>]>,
    /// How many slots own a block here.
    limit: usize,
    /// The shared block, also the shape of every owned one.
    shared: Box<B>,
    /// Whether a thread was handed the shared block: until then readers
    /// skip it (in most processes no thread is past the owned range, and
    /// a scrape then reads half the memory).
    shared_written: AtomicBool,
}

impl<B: Block + ?Sized> Sharded<B> {
    /// A table of `owned` slots (allocated on first use by their thread)
    /// and the given shared block, which also serves as the shape of
    /// every owned one.
    pub(crate) fn with_owned(owned: usize, shared: Box<B>) -> Self {
        let limit = owned.min(slot::shard_count());
        Sharded {
            owned: (0..=slot::shard_count())
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
            limit,
            shared,
            shared_written: AtomicBool::new(false),
        }
    }

    /// The shared block, which every owned one is shaped like.
    pub(crate) fn shape(&self) -> &B {
        &self.shared
    }

    /// A table with [`slot::shard_count`] owned slots.
    pub(crate) fn new(shared: Box<B>) -> Self {
        Self::with_owned(slot::shard_count(), shared)
    }

    /// The block of a non-null owned entry.
    #[inline(always)]
    fn block_at(&self, thin: *mut u8) -> &B {
        // SAFETY: a non-null entry came from `into_thin` of a block made
        // by `self.shared.fresh()` in `block_cold`, and is freed only in
        // `drop`, which cannot run while `&self` is borrowed.
        unsafe { &*B::from_thin(thin, &self.shared) }
    }

    /// The calling thread's own block, if it has one already: the whole
    /// of the hot path's shard lookup. Callers write it with
    /// [`Access::Owned`] and take [`block_cold`](Self::block_cold)
    /// otherwise, out of line.
    #[inline(always)]
    pub(crate) fn owned(&self) -> Option<&B> {
        let hot = slot::hot();
        debug_assert!(hot < self.owned.len());
        // SAFETY: `hot() <= shard_count()` and the table has
        // `shard_count() + 1` entries (`with_owned`).
        let block = unsafe { self.owned.get_unchecked(hot) }.load(Ordering::Acquire);
        (!block.is_null()).then(|| self.block_at(block))
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
        let slot = slot::assign();
        if slot >= self.limit {
            // Release: a reader that sees the flag sees the block as it
            // was before this thread's write, at least.
            if !self.shared_written.load(Ordering::Relaxed) {
                self.shared_written.store(true, Ordering::Release);
            }
            return (&self.shared, Access::Shared);
        }
        let entry = &self.owned[slot + 1];
        let mut block = entry.load(Ordering::Acquire);
        if block.is_null() {
            // Only the slot's owner installs its block; a store suffices,
            // and the release pairs with readers' acquire loads.
            block = B::into_thin(self.shared.fresh());
            entry.store(block, Ordering::Release);
        }
        (self.block_at(block), Access::Owned)
    }

    /// Asks for the memory a read of every block touches
    /// ([`Metric::prefetch`](crate::Metric::prefetch)): at depth 0 the
    /// slot table, deeper (the table in cache by then) each block written
    /// so far at one depth less.
    pub(crate) fn prefetch(&self, depth: usize) {
        match depth {
            0 => crate::prefetch::prefetch(self.owned.as_ptr()),
            _ => self.blocks().for_each(|block| block.prefetch(depth - 1)),
        }
    }

    /// Heap bytes of the slot table and the owned blocks' inline parts
    /// (not what the blocks point to).
    pub(crate) fn table_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.owned)
            + self.owned_blocks().map(B::inline_bytes).sum::<usize>()
    }

    fn owned_blocks(&self) -> impl Iterator<Item = &B> {
        self.owned.iter().filter_map(|entry| {
            let block = entry.load(Ordering::Acquire);
            (!block.is_null()).then(|| self.block_at(block))
        })
    }

    /// Every block written so far, the shared one last if a thread was
    /// handed it: what a read of the family adds up.
    pub(crate) fn blocks(&self) -> impl Iterator<Item = &B> {
        let shared = self.shared_written.load(Ordering::Acquire);
        self.owned_blocks().chain(shared.then_some(&*self.shared))
    }

    /// Every block allocated, the shared one (always allocated) last:
    /// what the family's heap bytes count.
    pub(crate) fn all_blocks(&self) -> impl Iterator<Item = &B> {
        self.owned_blocks().chain(std::iter::once(&*self.shared))
    }
}

impl<B: Block + ?Sized> Drop for Sharded<B> {
    fn drop(&mut self) {
        for entry in self.owned.iter_mut() {
            let block = *entry.get_mut();
            if !block.is_null() {
                // SAFETY: came from `into_thin` of a block shaped like
                // `shared`, and is dropped once.
                drop(unsafe { Box::from_raw(B::from_thin(block, &self.shared)) });
            }
        }
    }
}

#[cfg(all(test, not(tally_loom)))]
mod tests {
    use super::*;
    use crate::lines::Cells;

    /// A thread owns a block of a table exactly when its slot is below the
    /// table's owned count; the others write the shared block, and the
    /// hot path's unchecked index finds nothing for them.
    #[test]
    fn only_slots_below_the_owned_count_own_a_block() {
        let table = Sharded::with_owned(2, Cells::new(1));
        let barrier = std::sync::Barrier::new(4);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    assert!(table.owned().is_none(), "no block before the first write");
                    let (_, access) = table.block();
                    let slot = slot::current();
                    assert!(slot::hot() <= slot::shard_count());
                    assert_eq!(access == Access::Owned, slot < 2, "slot {slot}");
                    assert_eq!(table.owned().is_some(), slot < 2, "slot {slot}");
                    // All four alive at once: four distinct slots.
                    barrier.wait();
                });
            }
        });
        assert_eq!(table.owned.len(), slot::shard_count() + 1);
        assert!(table.owned[0].load(Ordering::Relaxed).is_null());
    }

    /// A read skips the shared block until a thread past the owned range
    /// is handed it; the heap count always includes it.
    #[test]
    fn reads_skip_the_shared_block_until_it_is_handed_out() {
        let table = Sharded::with_owned(1, Cells::new(1));
        assert_eq!(table.blocks().count(), 0);
        assert_eq!(table.all_blocks().count(), 1);
        let barrier = std::sync::Barrier::new(2);
        let accesses: Vec<Access> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        let (_, access) = table.block();
                        // Both alive at once: two distinct slots.
                        barrier.wait();
                        access
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let shared = accesses.iter().filter(|a| **a == Access::Shared).count();
        let owned = accesses.len() - shared;
        assert_eq!(table.blocks().count(), owned + usize::from(shared > 0));
        assert_eq!(table.all_blocks().count(), owned + 1);
    }
}
