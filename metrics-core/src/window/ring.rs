//! The time-slot ring of one shard: which slot a write goes to, the
//! race-free reset of a slot left from an older epoch, and consistent
//! reads of slots that may be reset while being read.
//!
//! Time is cut into epochs of `period` nanoseconds; epoch `e` (counted
//! from 1) lives in slot `e % slots`, stamped with `e`. Only one thread
//! writes a shard at a time (its owner, or whoever holds the shared
//! shard's lock), so only that writer resets a slot, and it does so
//! before any write of the new epoch: no write is lost or misplaced.
//! Readers use the stamp as a seqlock: it reads `BUSY` while the slot is
//! being zeroed, and a reader that sees the stamp change under it retries.
//!
//! The header of a shard caches when the current epoch ends and where its
//! slot's cells start, so a write within the same epoch costs one load
//! and one compare: no division or multiplication on the hot path. (Clocks
//! never go backwards, so the epoch's start need not be checked.)

use crate::lines::Lines;
use crate::sync::{fence, Ordering};

/// Header cells: the end (exclusive) of the cached epoch, and the first
/// cell of its slot (`slot * stride`).
const END: usize = 0;
const BASE: usize = 1;
/// Bucket `b`'s epoch stamp lives in header cell `STAMPS + b`.
const STAMPS: usize = 16;
/// The stamp of a slot being zeroed.
const BUSY: u64 = u64::MAX;

/// The geometry of a ring: `slots` slots of `period` nanoseconds,
/// each holding `stride` cells (one per series).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ring {
    pub(crate) period: u64,
    pub(crate) slots: usize,
    pub(crate) stride: usize,
}

impl Ring {
    /// A shard header: no epoch cached yet (an empty time range), every
    /// slot stamped 0 (never written).
    pub(crate) fn new_header(&self) -> Lines {
        Lines::new(STAMPS + self.slots)
    }

    /// The epoch of time `now` (>= 1, so 0 can mean "never written").
    fn epoch(&self, now: u64) -> u64 {
        now / self.period + 1
    }

    /// The first cell of the slot a write at `now` goes to, when `now`
    /// is in the cached epoch.
    #[inline(always)]
    pub(crate) fn cached(&self, header: &Lines, now: u64) -> Option<usize> {
        (now < header.load(END)).then(|| header.load(BASE) as usize)
    }

    /// The first cell of the slot for a write at `now` past the cached
    /// epoch: moves the cache to `now`'s epoch, first resetting its slot
    /// (with `zero(slot)`) if the slot holds an older epoch. Only the
    /// shard's writer calls this. A write stamped earlier than its
    /// slot's epoch (only a clock breaking its contract could do that)
    /// is counted in the current slot rather than dropped.
    #[cold]
    #[inline(never)]
    pub(crate) fn advance(&self, header: &Lines, now: u64, zero: impl FnOnce(usize)) -> usize {
        let epoch = self.epoch(now);
        let slot = (epoch % self.slots as u64) as usize;
        let stamp = header.cell(STAMPS + slot);
        let held = stamp.load(Ordering::Relaxed);
        if held > epoch {
            return header.load(BASE) as usize;
        }
        if held < epoch {
            // Seqlock write: readers that see BUSY, or see the stamp change
            // between their two loads, discard what they read.
            stamp.store(BUSY, Ordering::Relaxed);
            fence(Ordering::Release);
            zero(slot);
            stamp.store(epoch, Ordering::Release);
        }
        let base = slot * self.stride;
        header.store(END, epoch * self.period);
        header.store(BASE, base as u64);
        base
    }

    /// Reads every slot of the window ending at `now` (the current epoch
    /// and the `slots - 1` before it) with `read(slot)`, retrying a slot
    /// that was reset while being read, and hands each consistent read to
    /// `accept`. Slots from older epochs (stale) are skipped: they read
    /// as zero.
    pub(crate) fn read<T>(
        &self,
        header: &Lines,
        now: u64,
        mut read: impl FnMut(usize) -> T,
        mut accept: impl FnMut(T),
    ) {
        let newest = self.epoch(now);
        let oldest = newest.saturating_sub(self.slots as u64);
        for slot in 0..self.slots {
            let stamp = header.cell(STAMPS + slot);
            loop {
                let before = stamp.load(Ordering::Acquire);
                if before == BUSY {
                    std::hint::spin_loop();
                    #[cfg(tally_loom)]
                    loom::thread::yield_now();
                    continue;
                }
                if before <= oldest || before > newest {
                    break;
                }
                let value = read(slot);
                fence(Ordering::Acquire);
                if stamp.load(Ordering::Relaxed) == before {
                    accept(value);
                    break;
                }
            }
        }
    }
}

#[cfg(all(test, tally_loom))]
mod loom_tests {
    //! Model check of the epoch reset against a concurrent reader. Run with
    //! `RUSTFLAGS="--cfg tally_loom" cargo test -p metrics-core --lib --release loom`.
    use super::*;
    use crate::lines::Access;
    use loom::sync::Arc;

    /// One slot, one counter. The writer adds 4 in epoch 1, moves to
    /// epoch 2 (resetting the slot) and adds 1. A reader at epoch 2 must
    /// see epoch 2's own count (0 or 1) or nothing, never epoch 1's
    /// leftovers under epoch 2's stamp (a torn reset would show 2..=5).
    #[test]
    fn loom_epoch_reset_is_never_seen_torn() {
        loom::model(|| {
            let ring = Ring {
                period: 10,
                slots: 1,
                stride: 1,
            };
            let header = Arc::new(ring.new_header());
            let data = Arc::new(Lines::new(1));
            let writer = {
                let (header, data) = (header.clone(), data.clone());
                loom::thread::spawn(move || {
                    for (now, adds) in [(5, 4), (15, 1)] {
                        ring.advance(&header, now, |_| data.store(0, 0));
                        for _ in 0..adds {
                            data.add(0, 1, Access::Owned);
                        }
                    }
                })
            };
            // Reader at time 15 (epoch 2): the window is epochs 2..=2. It
            // runs on a thread of its own (loom explores the interleavings
            // of spawned threads more thoroughly than those with the
            // model's main thread).
            let reader = {
                let (header, data) = (header.clone(), data.clone());
                loom::thread::spawn(move || {
                    let mut seen = Vec::new();
                    ring.read(&header, 15, |_| data.load(0), |v| seen.push(v));
                    seen
                })
            };
            writer.join().unwrap();
            let seen = reader.join().unwrap();
            assert!(seen.len() <= 1);
            if let Some(&v) = seen.first() {
                assert!(v <= 1, "epoch 2 holds at most its own 1 add, saw {v}");
            }
            // After the writer is done the window reads exactly epoch 2.
            let mut after = Vec::new();
            ring.read(&header, 15, |_| data.load(0), |v| after.push(v));
            assert_eq!(after, [1]);
        });
    }
}
