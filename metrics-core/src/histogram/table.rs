//! One shard block of a histogram family: its series' cells, for a family
//! with a label that expires their generation cells, and the arena the
//! cells are carved from; and how a block's series is written and read
//! under a generation (see [`crate::expiring`]).

use super::cells::{Arena, Merge, Recorder, SeriesSlot};
use crate::expiring::{stamp_for_write, written_under};
use crate::lines::Access;
use crate::sync::{fence, AtomicU64, Ordering};

/// A shard's series, each allocated when its thread first records into
/// it, and the arena their directories and pages are carved from (it
/// drops after the slots).
pub(crate) struct SeriesTable {
    pub(super) slots: Box<[SeriesSlot]>,
    /// For a family with a label that expires, one per series: the
    /// generation the series' cells were last written under, or
    /// [`RESETTING`] while its writer zeroes them; written only by the
    /// block's writer. Empty for other families.
    pub(super) generations: Box<[AtomicU64]>,
    pub(super) arena: Arena,
}

impl SeriesTable {
    /// A block of `series` series, with generation cells if `expiring`.
    pub(crate) fn new(series: usize, expiring: bool, arena: Arena) -> Self {
        let generations = match expiring {
            true => series,
            false => 0,
        };
        SeriesTable {
            slots: (0..series).map(|_| SeriesSlot::default()).collect(),
            generations: (0..generations).map(|_| AtomicU64::new(0)).collect(),
            arena,
        }
    }

    /// Heap bytes held by the block: its slots, generation cells, arena
    /// and every series' wide cells.
    pub(super) fn heap_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.slots)
            + std::mem::size_of_val(&*self.generations)
            + self.arena.heap_bytes()
            + self.slots.iter().map(SeriesSlot::heap_bytes).sum::<usize>()
    }

    /// Records a prepared value into series `index` under `generation` in
    /// export `epoch`, by the block's sole writer for this series (its
    /// owner thread, or a holder of the family's shared-block mutex): if
    /// the block last wrote the series under another generation, its
    /// cells are zeroed first ([`stamp_for_write`]).
    pub(super) fn record_generation(
        &self,
        recorder: &Recorder,
        index: usize,
        (generation, epoch): (u32, u32),
        prepared: (u64, usize),
        access: Access,
    ) {
        let cells = self.slots[index].get_or_init(recorder, &self.arena);
        stamp_for_write(&self.generations[index], generation, epoch, || cells.zero());
        cells.record(prepared, access, &self.arena)
    }

    /// Series `index`'s cells in this block, merged, if the block wrote
    /// them under `generation`: the generation cell is read before and
    /// after the cells (a seqlock), so a read that overlapped a reset is
    /// not taken.
    pub(super) fn read_generation(
        &self,
        recorder: &Recorder,
        index: usize,
        generation: u64,
    ) -> Option<Merge> {
        let cells = self.slots[index].get()?;
        let cell = &self.generations[index];
        if !written_under(cell.load(Ordering::Acquire), generation) {
            return None;
        }
        let mut merge = recorder.merge();
        merge.add(cells);
        fence(Ordering::Acquire);
        written_under(cell.load(Ordering::Relaxed), generation).then_some(merge)
    }
}

crate::sharded::sized_block!(
    SeriesTable,
    |shape| SeriesTable::new(
        shape.slots.len(),
        !shape.generations.is_empty(),
        shape.arena.fresh()
    ),
    // One pointer down: the series slots a read walks first.
    prefetch = |block, depth| if depth == 1 {
        crate::prefetch::prefetch_slice(&block.slots)
    }
);

#[cfg(all(test, tally_loom))]
mod loom_tests {
    //! Slot reuse of an expiring label on a histogram block, model-checked:
    //! `RUSTFLAGS="--cfg tally_loom" cargo test -p tally-core --lib --release loom`.
    //!
    //! The generation cell, the fences and the label's marks are loom's;
    //! the histogram's cells (pages, sum) are plain std atomics that loom
    //! does not interleave, so the model explores every order of the
    //! reset protocol's steps around whole cell writes and reads.

    use super::*;
    use crate::admission::DynamicValues;
    use crate::expiring::stamp;
    use crate::histogram::HistogramConfig;
    use loom::sync::Arc;

    /// A writer records twice under value `a` (through the recording
    /// path's check, then as the block's owner) and then once under `b` if
    /// `b` was admitted; an evictor ends two exports and admits `b`,
    /// evicting `a` if it may; a reader takes names then the series'
    /// cells as a snapshot does. Whatever the interleaving, the count
    /// read under `b` never includes `a`'s records: at most the one made
    /// under `b`, exactly it at the end if `b` was admitted and written.
    #[test]
    fn loom_evicted_value_records_never_show_under_the_next() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let table: &'static DynamicValues =
                Box::leak(Box::new(DynamicValues::leaked_expiring("t", 1, 0)));
            let (o, a) = table.try_resolve_handle("a").unwrap();
            let recorder: &'static Recorder =
                Box::leak(Box::new(Recorder::new(HistogramConfig::seconds()).unwrap()));
            let block = Arc::new(SeriesTable::new(1, true, recorder.arena()));
            let expiry = table.expiry().unwrap();
            let count = |merge: Option<Merge>| {
                merge
                    .and_then(|m| recorder.finish(m))
                    .map(|s| (s.count(), s.sum()))
            };

            let writer = {
                let block = block.clone();
                loom::thread::spawn(move || {
                    // The record path: the stamp compare (fast), else the
                    // slot's mark and the owner's write.
                    let record = |o: usize, g: u32, value: u64| {
                        let epoch = crate::admission::epoch();
                        let prepared = recorder.prepare(value);
                        let stamped = block.generations[0].load(Ordering::Relaxed);
                        if stamped == stamp(g, epoch) {
                            if let Some(cells) = block.slots[0].get() {
                                cells.record(prepared, Access::Owned, &block.arena);
                                return true;
                            }
                        }
                        let marked = expiry.touch(o, g);
                        if marked {
                            block.record_generation(
                                recorder,
                                0,
                                (g, epoch),
                                prepared,
                                Access::Owned,
                            );
                        }
                        marked
                    };
                    let mut under_b = 0;
                    for value in [1_000, 2_000] {
                        record(o, a, value);
                    }
                    if let Some((o, b)) = table.lookup_handle("b") {
                        if record(o, b, 3_000) {
                            under_b = b;
                        }
                    }
                    under_b
                })
            };
            let evictor = loom::thread::spawn(move || {
                table.end_export();
                table.end_export();
                table.try_resolve_handle("b").ok()
            });
            // The reader: names (with generations), then the cells.
            let names = table.expiring_names().unwrap();
            if let Some((g, name)) = &names[0] {
                if let Some((n, sum)) = count(block.read_generation(recorder, 0, *g as u64)) {
                    if &**name == "b" {
                        assert!(n <= 1, "b read {n}: a's records under b");
                        assert_eq!(sum, 3_000 * n, "b's sum holds only b's value");
                    }
                }
            }
            let under_b = writer.join().unwrap();
            let admitted = evictor.join().unwrap();
            if let Some((_, b)) = admitted {
                let read = count(block.read_generation(recorder, 0, b as u64));
                let want = u64::from(under_b == b);
                let (n, sum) = read.unwrap_or((0, 0));
                assert_eq!(n, want, "b's count is exactly what was recorded under b");
                assert_eq!(sum, 3_000 * want, "and its sum");
            }
        });
    }
}
