//! A family's per-thread shards: one lazily allocated block per thread slot,
//! plus one shared block for threads past the owned range.

use std::sync::OnceLock;

use crate::lines::Access;
use crate::slot;

/// Per-thread blocks of type `B`, indexed by the writer's thread slot.
pub(crate) struct Sharded<B> {
    owned: Box<[OnceLock<B>]>,
    shared: B,
}

impl<B> Sharded<B> {
    /// A table with [`slot::shard_count`] owned blocks (allocated on first
    /// use by their thread) and the given shared block.
    pub(crate) fn new(shared: B) -> Self {
        Sharded {
            owned: (0..slot::shard_count()).map(|_| OnceLock::new()).collect(),
            shared,
        }
    }

    /// Runs `f` on the calling thread's block: its own (allocated by `init`
    /// on first use) with [`Access::Owned`], or the shared one.
    #[inline(always)]
    pub(crate) fn with<R>(&self, init: impl FnOnce() -> B, f: impl FnOnce(&B, Access) -> R) -> R {
        match self.owned.get(slot::current()) {
            Some(block) => f(block.get_or_init(init), Access::Owned),
            None => self.with_cold(init, f),
        }
    }

    #[cold]
    #[inline(never)]
    fn with_cold<R>(&self, init: impl FnOnce() -> B, f: impl FnOnce(&B, Access) -> R) -> R {
        match self.owned.get(slot::assign()) {
            Some(block) => f(block.get_or_init(init), Access::Owned),
            None => f(&self.shared, Access::Shared),
        }
    }

    /// The block shared by threads past the owned range.
    pub(crate) fn shared(&self) -> &B {
        &self.shared
    }

    /// Heap bytes of the slot table itself (not the blocks).
    pub(crate) fn table_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.owned)
    }

    /// Every block written so far, the shared one last.
    pub(crate) fn blocks(&self) -> impl Iterator<Item = &B> {
        self.owned
            .iter()
            .filter_map(OnceLock::get)
            .chain(std::iter::once(&self.shared))
    }
}
