//! The storage of a [`Gauge`](super::Gauge) family with a label that
//! expires (`dynamic_label!(..., idle_secs = ...)`).
//!
//! A gauge series is one shared cell written by every thread, so the
//! counter's owner-side reset does not apply. Each series is a 128-bit
//! cell holding the generation its value was written under with the
//! value, replaced together by compare-and-swap:
//!
//! - a write under generation `g` applies its operation to the value if
//!   the cell holds `g`;
//! - if the cell holds another generation and `g` is the slot's current
//!   one, the same compare-and-swap stores `g` with the operation applied
//!   to 0 (a re-admitted value starts from 0);
//! - if `g` no longer holds the slot (the value was evicted), the write
//!   goes to the overflow value, counted as `expired`, never into the
//!   cell.
//!
//! Readers take generation and value in one load and count the value only
//! if its generation is the slot's current one, so a value written under
//! A is never read under B that later took A's slot.

use crossbeam_utils::CachePadded;

use super::cell::{generation_of, pack, value_of, GenCell};
use crate::expiring::Expiring;
use crate::label::LabelSet;
use crate::sync::Ordering;

/// What a write does to a series' value.
#[derive(Clone, Copy)]
pub(super) enum Op {
    /// Replaces it.
    Set(i64),
    /// Adds to it (wrapping; a subtraction adds the negation).
    Add(i64),
}

impl Op {
    /// The value after the operation on `value`.
    #[inline(always)]
    fn apply(self, value: i64) -> i64 {
        match self {
            Op::Set(v) => v,
            Op::Add(d) => value.wrapping_add(d),
        }
    }
}

/// The series cells of a gauge family with an expiring label, and where
/// that label sits in a series index.
pub(super) struct ExpiringCells {
    cells: Box<[CachePadded<GenCell>]>,
    label: Expiring,
}

impl ExpiringCells {
    /// The cells of family `L` if one of its labels expires, found from
    /// the label descriptor.
    pub(super) fn of<L: LabelSet>() -> Option<Self> {
        Self::with(Expiring::of::<L>()?)
    }

    /// The cells of the family whose expiring label is `label`.
    fn with(label: Expiring) -> Option<Self> {
        Some(ExpiringCells {
            cells: (0..label.series)
                .map(|_| CachePadded::new(GenCell::new()))
                .collect(),
            label,
        })
    }

    /// The number of series.
    pub(super) fn len(&self) -> usize {
        self.cells.len()
    }

    #[inline(always)]
    fn ordinal(&self, index: usize) -> usize {
        self.label.ordinal(index)
    }

    /// Applies `op` to series `index` under `generation`. When nothing
    /// changed since the last write (the value holds its slot, was marked
    /// written in this export epoch, and the cell holds its generation),
    /// one load and one compare-and-swap after two compares; anything else
    /// takes [`write_slow`](Self::write_slow).
    #[inline(always)]
    pub(super) fn write(&self, index: usize, generation: u32, op: Op) {
        let cell = &self.cells[index];
        // Generation 0 is the overflow value's (never marked, never reset).
        if generation == 0 || self.label.marks.is_marked(self.ordinal(index), generation) {
            let now = cell.load(Ordering::Acquire);
            if generation_of(now) == generation
                && cell
                    .compare_exchange(now, pack(generation, op.apply(value_of(now))))
                    .is_ok()
            {
                return;
            }
        }
        self.write_slow(index, generation, op)
    }

    /// [`write`](Self::write) otherwise: checks that `generation` still
    /// holds its slot, marking it written in this epoch (else writes into
    /// the overflow value, counted as `expired`), then loops on the
    /// compare-and-swap, resetting the value if the cell holds another
    /// generation and `generation` is still the slot's.
    #[cold]
    #[inline(never)]
    fn write_slow(&self, index: usize, generation: u32, op: Op) {
        let ordinal = self.ordinal(index);
        let overflow = self.label.cardinality - 1;
        // A handle of an admitted value must still hold its slot. (A
        // hand-written `LabelSet` may pass generation 0 for an admitted
        // value: it is never marked, and writes into the cell only while
        // the slot was never used.)
        let holds =
            ordinal == overflow || generation == 0 || self.label.expiry.touch(ordinal, generation);
        if holds {
            let cell = &self.cells[index];
            let mut now = cell.load(Ordering::Acquire);
            loop {
                let new = if generation_of(now) == generation {
                    pack(generation, op.apply(value_of(now)))
                } else if self.label.table.__generation(ordinal) == generation {
                    // Read after the cell: had a later value written the
                    // cell, this load would see its generation (the cell
                    // is read with acquire, written with release).
                    pack(generation, op.apply(0))
                } else {
                    break;
                };
                match cell.compare_exchange(now, new) {
                    Ok(()) => return,
                    Err(seen) => now = seen,
                }
            }
        }
        // Evicted: the overflow value takes the write.
        self.label.table.count_expired();
        let index = index + (overflow - ordinal) * self.label.stride;
        self.write(index, 0, op)
    }

    /// Series `index`'s value under `generation`: 0 if the cell holds
    /// another generation.
    pub(super) fn get(&self, index: usize, generation: u32) -> i64 {
        let now = self.cells[index].load(Ordering::Acquire);
        match generation_of(now) == generation {
            true => value_of(now),
            false => 0,
        }
    }

    /// Series `index`'s value under the generation now holding its slot:
    /// 0 if the cell was last written under another one (nothing was
    /// written under the current value yet).
    pub(super) fn current(&self, index: usize) -> i64 {
        let now = self.cells[index].load(Ordering::Acquire);
        match generation_of(now) == self.label.table.__generation(self.ordinal(index)) {
            true => value_of(now),
            false => 0,
        }
    }
}

#[cfg(all(test, tally_loom))]
mod loom_tests {
    //! Slot reuse of an expiring label in a gauge, model-checked:
    //! `RUSTFLAGS="--cfg tally_loom" cargo test -p tally-core --lib --release loom`.
    //! The 128-bit cell is a mutex there (`cell.rs`).

    use super::*;
    use crate::admission::DynamicValues;
    use loom::sync::Arc;

    /// A writer sets then increments value `a` (5, then 6), then adds 1
    /// under `b` if `b` was admitted; an evictor ends two exports and
    /// admits `b`, evicting `a` if it may, and adds 1 under `b` (racing
    /// the writer's late writes under `a`); a reader takes names, then
    /// the value, then checks the generation as a snapshot does. Whatever
    /// the interleaving, `b` never reads `a`'s value (only 0 to 2), `a`
    /// reads only what was written under it, and at the end `b` holds
    /// exactly what was written under it (starting from 0) or, if `b` was
    /// never admitted, `a` holds 6.
    #[test]
    fn loom_evicted_gauge_value_never_shows_under_the_next() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let table: &'static DynamicValues =
                Box::leak(Box::new(DynamicValues::leaked_expiring("t", 1, 0)));
            let (o, a) = table.try_resolve_handle("a").unwrap();
            // One label, capacity 1: series 0 is the slot, 1 overflow.
            let cells = Arc::new(
                ExpiringCells::with(Expiring::new(table, 1, 2, true, 2).unwrap()).unwrap(),
            );

            let writer = {
                let cells = cells.clone();
                loom::thread::spawn(move || {
                    cells.write(o, a, Op::Set(5));
                    cells.write(o, a, Op::Add(1));
                    match table.lookup_handle("b") {
                        Some((o, b)) => {
                            cells.write(o, b, Op::Add(1));
                            b
                        }
                        None => 0,
                    }
                })
            };
            let evictor = {
                let cells = cells.clone();
                loom::thread::spawn(move || {
                    table.end_export();
                    table.end_export();
                    let b = table.try_resolve_handle("b").ok();
                    if let Some((o, b)) = b {
                        cells.write(o, b, Op::Add(1));
                    }
                    b
                })
            };
            // The reader: names (with generations), the value, then the
            // generation again (what `Registry::snapshot` does).
            let names = table.expiring_names().unwrap();
            if let Some((g, name)) = &names[0] {
                let v = cells.current(0);
                if table.__generation(0) == *g {
                    match &**name {
                        "b" => assert!((0..=2).contains(&v), "b read {v}: a's value under b"),
                        _ => assert!([0, 5, 6].contains(&v), "a read {v}"),
                    }
                }
            }
            let under_b = writer.join().unwrap();
            let admitted = evictor.join().unwrap();
            match admitted {
                Some((_, b)) => {
                    let want = 1 + i64::from(under_b == b);
                    assert_eq!(cells.current(0), want, "b holds what was written under b");
                }
                None => {
                    assert_eq!(cells.current(0), 6, "a kept its slot and its value");
                    assert_eq!(cells.current(1), 0, "nothing went to overflow");
                }
            }
        });
    }
}
