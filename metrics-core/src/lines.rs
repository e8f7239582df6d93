//! Cache-padded blocks of `u64` cells, and the two ways of bumping one.

use crossbeam_utils::CachePadded;

pub(crate) use crate::sharded::Access;
use crate::sharded::Block;
use crate::sync::{AtomicU64, Ordering::Relaxed};

/// Cells per padded line: 16 x 8 bytes = 128 bytes, crossbeam's padding
/// unit on x86_64 (the adjacent-line prefetcher pulls lines in pairs).
const PER_LINE: usize = 16;

/// One padded line of cells.
type Line = CachePadded<[AtomicU64; PER_LINE]>;

/// Whether a line is its cells and nothing more (the padding unit is the
/// cells' size, as on x86_64 and aarch64): then the cells of a block lie
/// end to end, and cell `i` is one multiply-add from the first, not a
/// line and an offset in it.
const FLAT: bool = size_of::<Line>() == PER_LINE * size_of::<AtomicU64>();

/// `u64` cells in whole 128-byte lines: the unsized body of a [`Lines`]
/// block, and what a counter family's shard table points at directly
/// (a thin pointer to the first line, the length from the table's shape),
/// so reaching a cell from the table is one load.
#[repr(transparent)]
pub(crate) struct Cells([Line]);

/// A heap block of `u64` cells, padded at both ends to whole 128-byte
/// lines so no other allocation shares a cache line with it.
pub(crate) struct Lines(Box<Cells>);

// SAFETY: `into_thin` leaks the box's data pointer and `from_thin`
// rebuilds the fat pointer with the shape's length: every block of a
// table is made by `fresh` from its shape, so the lengths agree.
unsafe impl Block for Cells {
    fn fresh(&self) -> Box<Self> {
        Cells::new(self.cells())
    }

    fn into_thin(block: Box<Self>) -> *mut u8 {
        Box::into_raw(block).cast::<u8>()
    }

    unsafe fn from_thin(thin: *mut u8, shape: &Self) -> *mut Self {
        std::ptr::slice_from_raw_parts_mut(thin.cast::<Line>(), shape.0.len()) as *mut Cells
    }

    fn inline_bytes(&self) -> usize {
        0
    }

    fn prefetch(&self, depth: usize) {
        if depth == 0 {
            crate::prefetch::prefetch_slice(&self.0);
        }
    }
}

impl std::ops::Deref for Lines {
    type Target = Cells;

    fn deref(&self) -> &Cells {
        &self.0
    }
}

impl Lines {
    /// A zeroed block of at least `cells` cells.
    pub(crate) fn new(cells: usize) -> Self {
        Lines(Cells::new(cells))
    }

    /// A zeroed block shaped like this one.
    pub(crate) fn fresh(&self) -> Self {
        Lines::new(self.cells())
    }
}

impl Cells {
    /// A zeroed block of at least `cells` cells.
    pub(crate) fn new(cells: usize) -> Box<Self> {
        let lines = cells.div_ceil(PER_LINE).max(1);
        let lines: Box<[Line]> = (0..lines)
            .map(|_| CachePadded::new(std::array::from_fn(|_| AtomicU64::new(0))))
            .collect();
        // SAFETY: `Cells` is a transparent wrapper of `[Line]`: the same
        // layout and pointer metadata.
        unsafe { Box::from_raw(Box::into_raw(lines) as *mut Cells) }
    }

    /// How many cells the block holds (a multiple of a line).
    pub(crate) fn cells(&self) -> usize {
        self.0.len() * PER_LINE
    }

    /// Bytes this block occupies on the heap.
    pub(crate) fn heap_bytes(&self) -> usize {
        std::mem::size_of_val(&self.0)
    }

    #[inline(always)]
    pub(crate) fn cell(&self, i: usize) -> &AtomicU64 {
        assert!(i < self.cells(), "cell {i} of {}", self.cells());
        // SAFETY: checked just above.
        unsafe { self.cell_unchecked(i) }
    }

    /// Cell `i` without a bounds check.
    ///
    /// # Safety
    /// `i < self.cells()`.
    #[inline(always)]
    pub(crate) unsafe fn cell_unchecked(&self, i: usize) -> &AtomicU64 {
        debug_assert!(i < self.cells());
        if FLAT {
            // SAFETY: the lines lie end to end with no padding between
            // their cells (`FLAT`), so cell `i` is `i` cells past the
            // first, inside the slice (the caller keeps `i < cells()`);
            // the pointer comes from the whole slice.
            unsafe { &*self.0.as_ptr().cast::<AtomicU64>().add(i) }
        } else {
            // SAFETY: the caller guarantees `i < cells()`, so the line
            // exists.
            unsafe {
                self.0
                    .get_unchecked(i / PER_LINE)
                    .get_unchecked(i % PER_LINE)
            }
        }
    }

    #[inline(always)]
    pub(crate) fn load(&self, i: usize) -> u64 {
        self.cell(i).load(Relaxed)
    }

    #[inline(always)]
    pub(crate) fn store(&self, i: usize, v: u64) {
        self.cell(i).store(v, Relaxed)
    }

    /// Adds `n` to cell `i` (wrapping, like every Prometheus counter).
    #[inline(always)]
    pub(crate) fn add(&self, i: usize, n: u64, access: Access) {
        add(self.cell(i), n, access)
    }

    /// [`add`](Self::add) without a bounds check.
    ///
    /// # Safety
    /// `i < self.cells()`.
    #[inline(always)]
    pub(crate) unsafe fn add_unchecked(&self, i: usize, n: u64, access: Access) {
        // SAFETY: forwarded from the caller.
        add(unsafe { self.cell_unchecked(i) }, n, access)
    }
}

/// Adds `n` to `cell` as `access` allows.
#[inline(always)]
fn add(cell: &AtomicU64, n: u64, access: Access) {
    match access {
        // Sole writer: no other thread can store between the load and the
        // store, so this is exact and costs no locked instruction.
        Access::Owned => cell.store(cell.load(Relaxed).wrapping_add(n), Relaxed),
        Access::Shared => {
            cell.fetch_add(n, Relaxed);
        }
    }
}
