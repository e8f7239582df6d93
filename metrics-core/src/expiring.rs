//! Where a family's label that expires (`idle_secs`) sits, and what its
//! sharded storage needs to stay sound when a slot of the label goes from
//! one value to another: shared by [`Counter`](crate::Counter) and
//! [`Histogram`](crate::Histogram).
//!
//! Each shard block keeps one generation cell per series, written only by
//! the block's writer (its owner thread, or a holder of
//! [`Expiring::shared`] for the shared block), holding a [`stamp`]. Before
//! writing a series under a generation other than the one in its cell,
//! the writer stores [`RESETTING`] there, zeroes its own storage of the
//! series and then publishes the new stamp (release), so the evictor
//! never writes storage. Readers take a block's storage of a series only
//! when its cell holds the slot's current generation, checked before and
//! after the read (a seqlock): what was recorded under an evicted value
//! is dropped with that value, never added to the next one. (`Gauge`
//! shares the label's position and limits, not the cells: its series are
//! one cell for every thread, see `gauge/expiring.rs`.)

use crate::admission::{DynamicValues, Expiry, Marks};
use crate::divisor::Divisor;
use crate::label::LabelSet;
use crate::sync::{fence, AtomicU64, Mutex, Ordering};

/// A generation cell's value while its writer resets the series.
pub(crate) const RESETTING: u64 = u64::MAX;

/// What a block's generation cell holds once its writer wrote the series:
/// the generation the storage was written under (high 32 bits) and the
/// export epoch the writer last found the value's slot marked in (low 32
/// bits). A writer whose handle's generation and the current epoch make
/// the same stamp skips the slot's mark: it marked the slot itself in
/// this epoch, and a value marked in the current epoch cannot be evicted
/// before two more exports of its table end (each moves the epoch,
/// [`epoch`](crate::admission::epoch)). (A stamp equal to [`RESETTING`], at
/// generation and epoch `u32::MAX`, only hides the series from readers
/// until the next epoch.)
#[inline(always)]
pub(crate) fn stamp(generation: u32, epoch: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(epoch)
}

/// Whether a generation cell that read `cell` holds storage written under
/// `generation` (and is not being reset): what readers check before and
/// after reading the storage. Only the generation counts: a writer moving
/// the stamp to a new epoch does not touch the storage.
#[inline(always)]
pub(crate) fn written_under(cell: u64, generation: u64) -> bool {
    cell != RESETTING && cell >> 32 == generation
}

/// Stamps series storage for a write under `generation` in `epoch`, by the
/// storage's sole writer: if the cell holds another generation, marks it
/// [`RESETTING`], runs `zero` on the storage and then publishes the stamp
/// (release), so no reader takes the zeros, or what follows, for the old
/// generation; within the same generation only the epoch moves.
#[inline]
pub(crate) fn stamp_for_write(cell: &AtomicU64, generation: u32, epoch: u32, zero: impl FnOnce()) {
    let want = stamp(generation, epoch);
    let now = cell.load(Ordering::Relaxed);
    if now == want {
        return;
    }
    if !written_under(now, u64::from(generation)) {
        cell.store(RESETTING, Ordering::Relaxed);
        fence(Ordering::Release);
        zero();
        cell.store(want, Ordering::Release);
    } else {
        cell.store(want, Ordering::Relaxed);
    }
}

/// The expiring label of a family: its table, where it sits in the series
/// index, and the mutex writers of the shared block take.
pub(crate) struct Expiring {
    pub(crate) table: &'static DynamicValues,
    /// The table's expiry state.
    pub(crate) expiry: &'static Expiry,
    /// Its marks and epoch, read by the record path's fast check.
    pub(crate) marks: Marks,
    /// Divides a series index by `stride`, without a `div`.
    by_stride: Divisor,
    /// Takes the remainder by `cardinality`, without a `div`.
    by_cardinality: Divisor,
    /// Series-index stride of the expiring label.
    pub(crate) stride: usize,
    /// Its cardinality (capacity + 1; the last ordinal is overflow).
    pub(crate) cardinality: usize,
    /// Whether it is the first (most significant) label: its ordinal is
    /// then `index / stride`, with no remainder to take.
    first: bool,
    /// The family's series count (a counter's generation cells start
    /// there).
    pub(crate) series: usize,
    /// Taken by writers of expiring series in the shared block, so each is
    /// the sole writer of its series while it resets it.
    pub(crate) shared: Mutex<()>,
}

impl Expiring {
    /// Found from the label descriptor, not `L::EXPIRING`: a hand-written
    /// `LabelSet` that forgot to forward generations then records with
    /// generation 0, which readers never count under an admitted value
    /// (dropped, never misattributed).
    pub(crate) fn of<L: LabelSet>() -> Option<Self> {
        let desc = L::DESC;
        let label = desc
            .dynamic
            .iter()
            .position(|t| t.is_some_and(|t| t.expiry().is_some()))?;
        let stride = desc.values[label + 1..].iter().map(|v| v.len()).product();
        Self::new(
            desc.dynamic[label]?,
            stride,
            desc.values[label].len(),
            label == 0,
            L::CARDINALITY,
        )
    }

    /// An expiring label of table `table` with `cardinality` values (the
    /// last is overflow) and series-index stride `stride`, first of its
    /// label set if `first`, in a family of `series` series; `None` if the
    /// table's values do not expire.
    pub(crate) fn new(
        table: &'static DynamicValues,
        stride: usize,
        cardinality: usize,
        first: bool,
        series: usize,
    ) -> Option<Self> {
        let expiry = table.expiry()?;
        Some(Expiring {
            table,
            expiry,
            marks: expiry.marks(),
            by_stride: Divisor::new(stride),
            by_cardinality: Divisor::new(cardinality),
            stride,
            cardinality,
            first,
            series,
            shared: Mutex::new(()),
        })
    }

    /// The expiring label's ordinal in series `index` (`< 2^32`, checked
    /// when the family is built): multiplies, never divides.
    #[inline(always)]
    pub(crate) fn ordinal(&self, index: usize) -> usize {
        let above = self.by_stride.div(index);
        match self.first {
            true => above,
            false => self.by_cardinality.rem(above),
        }
    }

    /// The generation a series' storage must carry to be read now.
    pub(crate) fn current(&self, index: usize) -> u64 {
        self.table.__generation(self.ordinal(index)) as u64
    }

    /// Whether series `index` may record under `generation`: its value
    /// still holds its slot (marked written in this epoch). Otherwise the
    /// expired record is counted and the overflow series' index returned.
    #[inline]
    pub(crate) fn admit_record(&self, index: usize, generation: u32) -> Result<(), usize> {
        let ordinal = self.ordinal(index);
        let fresh = ordinal < self.cardinality - 1 && self.expiry.touch(ordinal, generation);
        if fresh {
            return Ok(());
        }
        self.table.count_expired();
        Err(index + (self.cardinality - 1 - ordinal) * self.stride)
    }
}

/// Fails compilation unless a family of `L` can take its expiring labels:
/// at most one, on a 64-bit target, with fewer than 2^32 series (the
/// handle packs the generation above the index).
macro_rules! expiring_limits {
    ($l:ty, $family:literal) => {
        const {
            assert!(
                <$l as $crate::label::LabelSet>::EXPIRING <= 1,
                concat!(
                    "a `",
                    $family,
                    "` family can have at most one label that expires (`idle_secs`)"
                )
            );
            assert!(
                <$l as $crate::label::LabelSet>::EXPIRING == 0
                    || (usize::BITS == 64
                        && <$l as $crate::label::LabelSet>::CARDINALITY <= u32::MAX as usize),
                concat!(
                    "a `",
                    $family,
                    "` family with a label that expires needs a 64-bit target and fewer than 2^32 series"
                )
            );
        };
    };
}
pub(crate) use expiring_limits;

/// A handle's series index in the low 32 bits and, for a label set with
/// an expiring label, its generation in the high 32 (0 otherwise, so for
/// other families it is the plain index, and the family's bounds check
/// lets the compiler drop the generation test). Counter and histogram
/// handles stay two words.
#[derive(Clone, Copy)]
pub(crate) struct PackedIndex(usize);

impl PackedIndex {
    /// Series `index` recorded under `generation`. `generation` is 0
    /// unless the family checked (`expiring_limits!`) that the target has
    /// a 64-bit `usize` and the index fits 32 bits.
    #[inline(always)]
    pub(crate) fn new(index: usize, generation: u32) -> Self {
        PackedIndex(index | ((generation as u64) << 32) as usize)
    }

    /// The series index.
    #[inline(always)]
    pub(crate) fn index(self) -> usize {
        (self.0 as u64 & u64::from(u32::MAX)) as usize
    }

    /// The generation of the label set's expiring label (0 if none).
    #[inline(always)]
    pub(crate) fn generation(self) -> u32 {
        (self.0 as u64 >> 32) as u32
    }
}
