//! Values that expire: the state of a runtime-bounded label declared with
//! `idle_secs`, whose slots are reused once their value has been idle.
//!
//! Each slot has a [`Mark`]: `generation << 32 | last written epoch`. The
//! generation changes when the slot goes to a new value; a handle carries
//! the generation it was resolved at, so a kept handle of an evicted value
//! is recognised (and records into the overflow value, counted as
//! `expired`). The epoch is one count for the whole process ([`epoch`]):
//! every export that ends on an expiring label's table (see
//! [`Expiry::end_export`]) advances it. A writer moves its slot's mark to
//! the current epoch with one compare-and-swap, at most once per epoch;
//! the record path reads the epoch with one load of a static, not through
//! its table. Eviction rules count each table's own exports.
//!
//! Names are `Arc<str>` held by the table and dropped on eviction, so a
//! churn of distinct values keeps memory flat; snapshots take the names
//! with their generations (see `Registry::snapshot`).
//!
//! Lookups take a read lock (values of an expiring label are resolved
//! once and their handles kept; recording through a handle takes no lock).

use std::collections::HashMap;
use std::sync::Arc;

#[cfg(tally_loom)]
use loom::sync::{
    atomic::{AtomicU32, AtomicU64, Ordering},
    RwLock,
};
#[cfg(not(tally_loom))]
use std::sync::{
    atomic::{AtomicU32, AtomicU64, Ordering},
    RwLock,
};

use crate::window::clock::{Clock, CoarseClock};

/// The export epoch: how many exports ended on any expiring label's table
/// since start, wrapping at 2^32 as marks hold it. One for the process,
/// so the record path's check reads it from a fixed address (32 bits: the
/// load is the stamp's low half, with nothing to mask).
#[cfg(not(tally_loom))]
static EPOCH: AtomicU32 = AtomicU32::new(0);

#[cfg(tally_loom)]
loom::lazy_static! {
    /// The export epoch, per model run.
    static ref EPOCH: AtomicU32 = AtomicU32::new(0);
}

/// The current export epoch, as marks and stamps hold it (a relaxed load
/// of one static: the record path's only read of shared state).
#[inline(always)]
pub(crate) fn epoch() -> u32 {
    EPOCH.load(Ordering::Relaxed)
}

/// The mark of one slot of an expiring label: its generation (high 32
/// bits) and the last epoch it was written in (low 32 bits). Storage for
/// [`dynamic_label!`](crate::dynamic_label).
#[doc(hidden)]
pub struct Mark(AtomicU64);

impl Mark {
    /// A slot never used (generation 0).
    #[cfg(not(tally_loom))]
    #[allow(clippy::declare_interior_mutable_const)]
    pub const EMPTY: Mark = Mark(AtomicU64::new(0));

    /// A slot never used (generation 0).
    pub fn new() -> Mark {
        Mark(AtomicU64::new(0))
    }
}

impl Default for Mark {
    fn default() -> Self {
        Mark::new()
    }
}

#[inline(always)]
fn pack(generation: u32, epoch: u32) -> u64 {
    (generation as u64) << 32 | epoch as u64
}

#[inline(always)]
fn generation_of(mark: u64) -> u32 {
    (mark >> 32) as u32
}

#[inline(always)]
fn epoch_of(mark: u64) -> u32 {
    mark as u32
}

/// Whether epoch `a` is at or after epoch `b` (epochs wrap at 2^32).
#[inline(always)]
fn at_or_after(a: u32, b: u32) -> bool {
    a.wrapping_sub(b) < 1 << 31
}

/// What the table knows of one slot's last write.
#[derive(Clone, Copy)]
struct Seen {
    /// The write epoch in the slot's mark when an export last saw it
    /// change.
    written: u32,
    /// The table's count of exports after that export.
    after: u64,
    /// The clock when that export ended.
    at: u64,
}

/// The lock-held part: names and what exports saw.
struct State {
    clock: Arc<dyn Clock>,
    by_value: HashMap<Arc<str>, usize>,
    names: Vec<Option<Arc<str>>>,
    seen: Vec<Seen>,
}

impl State {
    fn new(capacity: usize) -> Self {
        State {
            clock: Arc::new(CoarseClock),
            by_value: HashMap::with_capacity(capacity),
            names: vec![None; capacity],
            seen: vec![
                Seen {
                    written: 0,
                    after: 0,
                    at: 0,
                };
                capacity
            ],
        }
    }
}

/// The name of every slot of an expiring label with the generation it
/// holds the slot at (`None` for a never used slot).
pub(crate) type SlotNames = Vec<Option<(u32, Arc<str>)>>;

/// Why an admission found no slot.
pub(crate) enum NoSlot {
    /// Every slot holds a value that may not be evicted yet.
    Full,
}

/// What the recording path's fast check reads: an expiring label's
/// marks (the epoch is [`epoch`]).
#[derive(Clone, Copy)]
pub(crate) struct Marks {
    marks: &'static [Mark],
}

impl Marks {
    /// Whether slot `ordinal` holds `generation` and was marked written
    /// in the current epoch already (two relaxed loads and a compare, no
    /// write). `false` for an ordinal past the slots (the overflow
    /// value). When `false`, [`Expiry::touch`] decides.
    #[inline(always)]
    pub(crate) fn is_marked(self, ordinal: usize, generation: u32) -> bool {
        let epoch = epoch();
        match self.marks.get(ordinal) {
            Some(mark) => mark.0.load(Ordering::Relaxed) == pack(generation, epoch),
            None => false,
        }
    }
}

/// The expiry state of one expiring label's table.
pub(crate) struct Expiry {
    idle_nanos: u64,
    /// Exports ended on this table (written under the state lock).
    exports: AtomicU64,
    marks: &'static [Mark],
    state: RwLock<Option<State>>,
    evicted: AtomicU64,
}

impl Expiry {
    /// The state of a table whose values expire after `idle_secs` seconds
    /// unwritten, with one mark per slot.
    #[cfg(not(tally_loom))]
    pub(crate) const fn new(idle_secs: u64, marks: &'static [Mark]) -> Self {
        Expiry {
            idle_nanos: idle_secs.saturating_mul(1_000_000_000),
            exports: AtomicU64::new(0),
            marks,
            state: RwLock::new(None),
            evicted: AtomicU64::new(0),
        }
    }

    /// The same, with a run-time idle time in nanoseconds (tests, loom).
    #[cfg(tally_loom)]
    pub(crate) fn new_nanos(idle_nanos: u64, marks: &'static [Mark]) -> Self {
        Expiry {
            idle_nanos,
            exports: AtomicU64::new(0),
            marks,
            state: RwLock::new(None),
            evicted: AtomicU64::new(0),
        }
    }

    /// The idle time, in nanoseconds.
    pub(crate) fn idle_nanos(&self) -> u64 {
        self.idle_nanos
    }

    /// Values evicted since start.
    pub(crate) fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    /// Exports ended on this table since start.
    pub(crate) fn exports(&self) -> u64 {
        self.exports.load(Ordering::Acquire)
    }

    /// The current generation of slot `ordinal` (0 if never used).
    #[inline(always)]
    pub(crate) fn generation(&self, ordinal: usize) -> u32 {
        generation_of(self.marks[ordinal].0.load(Ordering::Acquire))
    }

    /// The marks the recording path's fast check reads, for a family to
    /// keep beside its storage (one load less than through the table).
    pub(crate) fn marks(&'static self) -> Marks {
        Marks { marks: self.marks }
    }

    /// The recording path's check: whether `generation` still owns slot
    /// `ordinal`, marking the slot written in the current epoch. Two
    /// relaxed loads and a compare; a compare-and-swap on the first write
    /// of a slot after each export.
    #[inline(always)]
    pub(crate) fn touch(&self, ordinal: usize, generation: u32) -> bool {
        let epoch = epoch();
        let mark = self.marks[ordinal].0.load(Ordering::Relaxed);
        mark == pack(generation, epoch) || self.touch_cold(ordinal, generation, epoch, mark)
    }

    #[cold]
    #[inline(never)]
    fn touch_cold(&self, ordinal: usize, generation: u32, epoch: u32, mut mark: u64) -> bool {
        loop {
            if generation_of(mark) != generation {
                return false;
            }
            if at_or_after(epoch_of(mark), epoch) {
                return true;
            }
            match self.marks[ordinal].0.compare_exchange(
                mark,
                pack(generation, epoch),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => mark = now,
            }
        }
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut guard = self.state.write().unwrap_or_else(|e| e.into_inner());
        f(guard.get_or_insert_with(|| State::new(self.marks.len())))
    }

    /// The slot and generation of an admitted value, marking it written.
    pub(crate) fn lookup(&self, value: &str) -> Option<(usize, u32)> {
        let guard = self.state.read().unwrap_or_else(|e| e.into_inner());
        let ordinal = *guard.as_ref()?.by_value.get(value)?;
        let generation = self.generation(ordinal);
        // Resolving counts as a write: a value is not evicted between its
        // resolution and its first record (unless that thread stalls for
        // two exports and the idle time).
        self.touch(ordinal, generation);
        Some((ordinal, generation))
    }

    /// Admits `value` (checked, not present), into a never used slot or
    /// the slot of an evictable value. `values` are the ones the caller
    /// admits in the same batch: they are never evicted for each other.
    pub(crate) fn admit(&self, value: &str) -> Result<(usize, u32), NoSlot> {
        self.with_state(|state| self.admit_locked(state, value))
    }

    /// Admits every value of `values` not admitted yet, or none if they
    /// do not all find a slot.
    pub(crate) fn admit_all(&self, values: &[&str]) -> Result<(), NoSlot> {
        self.with_state(|state| {
            let new: Vec<&str> = values
                .iter()
                .copied()
                .filter(|v| !state.by_value.contains_key(*v))
                .collect();
            let room =
                state.names.iter().filter(|n| n.is_none()).count() + self.evictable(state).len();
            if new.len() > room {
                return Err(NoSlot::Full);
            }
            for v in new {
                if !state.by_value.contains_key(v) {
                    self.admit_locked(state, v)?;
                }
            }
            Ok(())
        })
    }

    /// Whether slot `o`'s value may be evicted now: an export of this
    /// table that ended saw its last write, at least one more ended after
    /// that one, and the idle time has passed since the first of them
    /// ended. (Every export ends an epoch, so a writer whose stamp held
    /// the epoch of that last write has marked the slot again since, or
    /// its write was already under way when the epoch moved.)
    fn may_evict(&self, state: &State, o: usize, exports: u64, now: u64) -> bool {
        let seen = state.seen[o];
        state.names[o].is_some()
            && epoch_of(self.marks[o].0.load(Ordering::Acquire)) == seen.written
            && exports > seen.after
            && now.saturating_sub(seen.at) >= self.idle_nanos
    }

    /// The slots whose value may be evicted now.
    fn evictable(&self, state: &State) -> Vec<usize> {
        let exports = self.exports();
        let now = state.clock.now_nanos();
        (0..self.marks.len())
            .filter(|&o| self.may_evict(state, o, exports, now))
            .collect()
    }

    /// The evictable slot seen written longest ago, in one pass.
    fn oldest_evictable(&self, state: &State) -> Option<usize> {
        let exports = self.exports();
        let now = state.clock.now_nanos();
        (0..self.marks.len())
            .filter(|&o| self.may_evict(state, o, exports, now))
            .min_by_key(|&o| state.seen[o].at)
    }

    /// Takes slot `o` (evictable) from its value for a new generation;
    /// `None` if a writer marked it since it was found evictable.
    fn evict(&self, state: &mut State, o: usize, epoch: u32) -> Option<(usize, u32)> {
        let mark = self.marks[o].0.load(Ordering::Acquire);
        if epoch_of(mark) != state.seen[o].written {
            return None;
        }
        let generation = generation_of(mark).wrapping_add(1).max(1);
        // A writer that touches the slot from now on makes this fail: its
        // value stays.
        self.marks[o]
            .0
            .compare_exchange(
                mark,
                pack(generation, epoch),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .ok()?;
        if let Some(old) = state.names[o].take() {
            state.by_value.remove(&old);
        }
        self.evicted.fetch_add(1, Ordering::Relaxed);
        Some((o, generation))
    }

    fn admit_locked(&self, state: &mut State, value: &str) -> Result<(usize, u32), NoSlot> {
        if let Some(&o) = state.by_value.get(value) {
            return Ok((o, self.generation(o)));
        }
        let epoch = epoch();
        let claimed = match state.names.iter().position(Option::is_none) {
            // A never used slot: no handle has its generation, so nothing
            // touches its mark.
            Some(o) => {
                self.marks[o].0.store(pack(1, epoch), Ordering::Release);
                Some((o, 1))
            }
            None => match self.oldest_evictable(state) {
                None => None,
                Some(o) => self.evict(state, o, epoch).or_else(|| {
                    let rest = self.evictable(state);
                    rest.into_iter().find_map(|o| self.evict(state, o, epoch))
                }),
            },
        };
        let (o, generation) = claimed.ok_or(NoSlot::Full)?;
        let name: Arc<str> = value.into();
        state.names[o] = Some(name.clone());
        state.by_value.insert(name, o);
        // Not seen by an export yet: the next one records it (as it would
        // a write), and the idle time runs from there.
        state.seen[o] = Seen {
            written: epoch.wrapping_sub(1),
            after: self.exports(),
            at: state.clock.now_nanos(),
        };
        Ok((o, generation))
    }

    /// Ends an export of a registry that tracks this label: records which
    /// slots were written since the last one, counts the export, then
    /// advances the epoch.
    pub(crate) fn end_export(&self) {
        self.with_state(|state| {
            let now = state.clock.now_nanos();
            let after = self.exports() + 1;
            for (o, mark) in self.marks.iter().enumerate() {
                let written = epoch_of(mark.0.load(Ordering::Acquire));
                if state.names[o].is_some() && written != state.seen[o].written {
                    state.seen[o] = Seen {
                        written,
                        after,
                        at: now,
                    };
                }
            }
            // Only this lock's holder writes the count.
            self.exports.store(after, Ordering::Release);
            EPOCH.fetch_add(1, Ordering::AcqRel);
        })
    }

    /// The name of every used slot with its generation, taken together
    /// under the lock.
    pub(crate) fn names(&self) -> SlotNames {
        let guard = self.state.read().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            None => vec![None; self.marks.len()],
            Some(state) => state
                .names
                .iter()
                .enumerate()
                .map(|(o, n)| Some((self.generation(o), n.clone()?)))
                .collect(),
        }
    }

    /// The name of slot `ordinal` if `generation` still holds it.
    pub(crate) fn name(&self, ordinal: usize, generation: u32) -> Option<Arc<str>> {
        let guard = self.state.read().unwrap_or_else(|e| e.into_inner());
        let name = guard.as_ref()?.names.get(ordinal)?.clone()?;
        (self.generation(ordinal) == generation).then_some(name)
    }

    /// How many slots hold a value.
    pub(crate) fn live(&self) -> usize {
        let guard = self.state.read().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .map_or(0, |s| s.names.iter().filter(|n| n.is_some()).count())
    }

    /// Uses `clock` for idle times from now on.
    pub(crate) fn set_clock(&self, clock: Arc<dyn Clock>) {
        self.with_state(|state| state.clock = clock)
    }
}
