//! Thread slots: every thread that records gets a small, process-unique id,
//! the index of the shard it alone writes in every family.
//!
//! Ownership is what makes the hot path cheap: a shard cell has exactly one
//! writer, so an increment is a plain load and store (no locked
//! read-modify-write), and readers sum the shards with relaxed loads.
//!
//! When a thread exits, its slot goes back to the pool and a later thread
//! takes it over together with the shards it indexes. The pool's mutex
//! orders the two: the old owner's last stores happen before its release,
//! the release happens before the new owner's acquire, so the new owner's
//! first load sees every increment of the old one and nothing is lost. The
//! pool hands out the lowest free id, so ids stay dense and small.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::OnceLock;

use crate::sync::Mutex;

/// The slot value of a thread that has not recorded yet.
pub(crate) const UNASSIGNED: usize = usize::MAX - 1;
/// The slot value of a thread whose slot was returned during thread exit; it
/// records through the shared (atomic read-modify-write) shard from then on.
pub(crate) const RETIRED: usize = usize::MAX;

/// A pool of dense thread ids: `acquire` returns the lowest free id.
pub(crate) struct SlotPool {
    state: Mutex<PoolState>,
}

struct PoolState {
    next: usize,
    free: BinaryHeap<Reverse<usize>>,
}

impl SlotPool {
    pub(crate) fn new() -> Self {
        SlotPool {
            state: Mutex::new(PoolState {
                next: 0,
                free: BinaryHeap::new(),
            }),
        }
    }

    /// Takes the lowest free id. Everything its previous owner wrote before
    /// `release` is visible to the caller once this returns.
    pub(crate) fn acquire(&self) -> usize {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match state.free.pop() {
            Some(Reverse(id)) => id,
            None => {
                state.next += 1;
                state.next - 1
            }
        }
    }

    /// Returns `id` to the pool; the caller must not write its shards again.
    pub(crate) fn release(&self, id: usize) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.free.push(Reverse(id));
    }
}

fn pool() -> &'static SlotPool {
    static POOL: OnceLock<SlotPool> = OnceLock::new();
    POOL.get_or_init(SlotPool::new)
}

thread_local! {
    // Const-initialised and without a destructor: reading it is a single
    // thread-local load and it stays readable while other thread-locals are
    // being destroyed.
    static SLOT: Cell<usize> = const { Cell::new(UNASSIGNED) };
    // The hot path's index into every shard table: the slot plus one if
    // the slot is below `shard_count()`, else 0 (unassigned, retired, or
    // past every table's owned range), whose entry is always null. Every
    // table has `shard_count() + 1` entries, so this needs no bounds check.
    static HOT: Cell<usize> = const { Cell::new(0) };
    // Registered only when a slot is assigned; gives the slot back at exit.
    static GUARD: SlotGuard = const { SlotGuard(Cell::new(UNASSIGNED)) };
}

struct SlotGuard(Cell<usize>);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let id = self.0.get();
        if id != UNASSIGNED {
            // Anything this thread records from now on (from another
            // thread-local's destructor) goes to the shared shard, never to
            // the slot a new owner may already hold.
            SLOT.with(|slot| slot.set(RETIRED));
            HOT.with(|hot| hot.set(0));
            pool().release(id);
        }
    }
}

/// This thread's slot: an id, or [`UNASSIGNED`] / [`RETIRED`].
#[inline(always)]
pub(crate) fn current() -> usize {
    SLOT.with(Cell::get)
}

/// This thread's index into every shard table (see `HOT`): at most
/// [`shard_count`], 0 (a null entry) unless it owns a slot below it.
#[inline(always)]
pub(crate) fn hot() -> usize {
    HOT.with(Cell::get)
}

/// Assigns this thread a slot on its first recording and returns it.
#[cold]
#[inline(never)]
pub(crate) fn assign() -> usize {
    let current = current();
    if current != UNASSIGNED {
        return current;
    }
    let id = pool().acquire();
    let registered = GUARD.try_with(|guard| guard.0.set(id)).is_ok();
    let slot = if registered {
        id
    } else {
        // This thread is already tearing down its thread-locals: no guard
        // could hand the id back, so don't keep it.
        pool().release(id);
        RETIRED
    };
    SLOT.with(|s| s.set(slot));
    let hot = if slot < shard_count() { slot + 1 } else { 0 };
    HOT.with(|h| h.set(hot));
    slot
}

/// The CPU count shard tables are sized for: the machine's, unless
/// [`force_cpus`] set it first.
fn cpus() -> usize {
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(4, |n| n.get()))
}

static CPUS: OnceLock<usize> = OnceLock::new();

/// Sizes every shard table as on a machine with `n` CPUs (tests of
/// many-core behaviour); `false` if a table was already sized.
pub fn force_cpus(n: usize) -> bool {
    CPUS.set(n.max(1)).is_ok()
}

/// How many owned shards a counter or gauge family keeps: enough for
/// every thread that runs at once on this machine, with headroom for pools
/// larger than the core count (4 x cores, 16..=256). A counter's block is
/// a few cache lines, so the headroom is cheap. Threads beyond it share
/// one atomically-updated shard.
pub(crate) fn shard_count() -> usize {
    (cpus() * 4).clamp(16, 256)
}

/// How many owned shards a histogram family keeps: one per core (4..=64).
/// A histogram block can hold kilobytes per series, so threads beyond the
/// core count (blocking pools, oversubscribed runtimes) share one block
/// with atomic read-modify-writes instead of each pinning their own.
pub(crate) fn histogram_shard_count() -> usize {
    cpus().clamp(4, 64)
}

#[cfg(all(test, not(tally_loom)))]
mod tests {
    use super::*;

    #[test]
    fn pool_hands_out_lowest_free_id() {
        let pool = SlotPool::new();
        assert_eq!((pool.acquire(), pool.acquire(), pool.acquire()), (0, 1, 2));
        pool.release(1);
        pool.release(0);
        assert_eq!(pool.acquire(), 0);
        assert_eq!(pool.acquire(), 1);
        assert_eq!(pool.acquire(), 3);
    }

    #[test]
    fn live_threads_hold_distinct_slots_and_exited_slots_are_reused() {
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let ids: Vec<usize> = (0..4)
            .map(|_| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let id = assign();
                    barrier.wait(); // all four are alive at once
                    id
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 4, "live threads shared a slot: {ids:?}");
        // The four exited; a new thread gets one of the freed ids back.
        let reused = std::thread::spawn(assign).join().unwrap();
        assert!(
            ids.contains(&reused) || reused < 4 + 2,
            "slot {reused} not reused"
        );
    }
}

#[cfg(all(test, tally_loom))]
mod loom_tests {
    //! Model checks of the slot handoff. Run with
    //! `RUSTFLAGS="--cfg tally_loom" cargo test -p metrics-core --lib --release loom`.
    use super::SlotPool;
    use crate::lines::{Access, Lines};
    use loom::sync::atomic::{AtomicBool, Ordering};
    use loom::sync::Arc;

    /// One family's shards as the hot path sees them: an owned block per
    /// slot below `blocks.len()`, and the shared block for every slot above.
    struct Table {
        blocks: Vec<Lines>,
        busy: Vec<AtomicBool>,
        shared: Lines,
    }

    impl Table {
        fn new(owned: usize) -> Self {
            Table {
                blocks: (0..owned).map(|_| Lines::new(1)).collect(),
                busy: (0..owned).map(|_| AtomicBool::new(false)).collect(),
                shared: Lines::new(1),
            }
        }

        fn total(&self) -> u64 {
            self.blocks.iter().map(|b| b.load(0)).sum::<u64>() + self.shared.load(0)
        }
    }

    /// A thread's whole life: take a slot, record, exit (give it back).
    fn writer(pool: &SlotPool, table: &Table, adds: u64) {
        let slot = pool.acquire();
        if let Some(block) = table.blocks.get(slot) {
            // Exclusive ownership: no other live thread holds this slot.
            assert!(!table.busy[slot].swap(true, Ordering::Relaxed));
            for _ in 0..adds {
                block.add(0, 1, Access::Owned);
            }
            table.busy[slot].store(false, Ordering::Relaxed);
        } else {
            for _ in 0..adds {
                table.shared.add(0, 1, Access::Shared);
            }
        }
        pool.release(slot);
    }

    fn run(threads: usize, owned: usize, adds: u64) {
        loom::model(move || {
            let pool = Arc::new(SlotPool::new());
            let table = Arc::new(Table::new(owned));
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let (pool, table) = (pool.clone(), table.clone());
                    loom::thread::spawn(move || writer(&pool, &table, adds))
                })
                .collect();
            // A concurrent reader never sees more than was written.
            assert!(table.total() <= threads as u64 * adds);
            for h in handles {
                h.join().unwrap();
            }
            assert_eq!(table.total(), threads as u64 * adds);
        });
    }

    /// Two threads, two owned shards: covers both "each its own slot" and
    /// "the second takes over the slot the first released" interleavings.
    #[test]
    fn loom_slot_handoff_loses_no_increment() {
        run(2, 2, 2);
    }

    /// One owned shard: the thread that finds slot 0 taken records through
    /// the shared shard; the one that takes slot 0 over after the other
    /// released it must still see its predecessor's count.
    #[test]
    fn loom_overflow_and_handoff_lose_no_increment() {
        run(2, 1, 2);
    }
}
