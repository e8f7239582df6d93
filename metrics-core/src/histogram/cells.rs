//! The cells of one histogram series in one shard, and what recording,
//! clamping, resetting and merging them takes. Shared by [`Histogram`]
//! and the windowed histogram.
//!
//! Memory follows what is recorded, not the configured range: a series'
//! counts live in pages of [`PAGE_CELLS`] cells (two cache lines),
//! allocated on the first record that lands in them. A series' directory
//! holds its sum and one page address per page of the layout; a page
//! never moves or shrinks once allocated, so readers need no lock.
//!
//! [`Histogram`]: super::Histogram

use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::time::Duration;

use super::{HistogramConfig, HistogramConfigError, HistogramSnapshot, Layout};
use crate::lines::{Access, Lines, Page, PAGE_CELLS};

const PAGE_SHIFT: u32 = PAGE_CELLS.trailing_zeros();

/// A histogram family's configuration, layout and clamp counter: turns
/// raw inputs into a cell index and records into series cells.
pub(crate) struct Recorder {
    pub(crate) layout: Layout,
    pub(crate) config: HistogramConfig,
    pages: usize,
    clamped: AtomicU64,
}

impl Recorder {
    pub(crate) fn new(config: HistogramConfig) -> Result<Self, HistogramConfigError> {
        let layout = Layout::new(&config)?;
        Ok(Recorder {
            layout,
            config,
            pages: layout.len.div_ceil(PAGE_CELLS),
            clamped: AtomicU64::new(0),
        })
    }

    /// Values clamped into range since start.
    pub(crate) fn clamped(&self) -> u64 {
        self.clamped.load(Ordering::Relaxed)
    }

    #[cold]
    #[inline(never)]
    fn clamp(&self, clamped_to: u64) -> u64 {
        self.clamped.fetch_add(1, Ordering::Relaxed);
        clamped_to
    }

    /// `value` clamped into range (counted if it was out of it), and the
    /// cell it goes to.
    #[inline(always)]
    pub(crate) fn prepare(&self, value: u64) -> (u64, usize) {
        let value = if value > self.layout.highest {
            self.clamp(self.layout.highest)
        } else {
            value
        };
        (value, self.layout.index(value))
    }

    /// A duration in recording units.
    pub(crate) fn ticks_from_duration(&self, duration: Duration) -> u64 {
        if self.config.scale == 1e9 {
            u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
        } else {
            self.ticks_from_f64(duration.as_secs_f64())
        }
    }

    /// A value in exposed units in recording units; negative and NaN
    /// values become 0 and are counted as clamped (`+inf` saturates and
    /// is clamped by [`prepare`](Self::prepare)).
    pub(crate) fn ticks_from_f64(&self, value: f64) -> u64 {
        let ticks = value * self.config.scale;
        if ticks >= 0.0 {
            ticks.round() as u64
        } else {
            self.clamp(0)
        }
    }

    /// The most heap bytes one series' directory and pages can hold.
    pub(crate) fn series_bound(&self) -> usize {
        Lines::new(PAGES + self.pages).heap_bytes() + self.pages * size_of::<Page>()
    }

    /// Fresh (empty) cells for one series: the directory only.
    pub(crate) fn new_cells(&self) -> SeriesCells {
        SeriesCells {
            directory: Lines::new(PAGES + self.pages),
        }
    }

    /// A merge of series cells with this family's layout.
    pub(crate) fn merge(&self) -> Merge {
        Merge {
            first: 0,
            counts: Vec::new(),
            sum: 0,
            seen: false,
        }
    }

    /// The snapshot of a merge, `None` if it merged nothing.
    pub(crate) fn finish(&self, merge: Merge) -> Option<HistogramSnapshot> {
        if !merge.seen {
            return None;
        }
        let Merge {
            mut first,
            mut counts,
            sum,
            ..
        } = merge;
        // Min and max are those of the outermost non-empty cells.
        let end = counts.iter().rposition(|&c| c > 0).map_or(0, |i| i + 1);
        counts.truncate(end);
        let start = counts.iter().position(|&c| c > 0).unwrap_or(end);
        counts.drain(..start);
        first += start;
        let (min, max) = if counts.is_empty() {
            (0, 0)
        } else {
            let (low, _) = self.layout.range(first);
            let (last, width) = self.layout.range(first + counts.len() - 1);
            (low, (last + (width - 1)).min(self.layout.highest))
        };
        Some(HistogramSnapshot::new(
            self.layout,
            self.config,
            (first, counts),
            sum,
            min,
            max,
        ))
    }
}

/// The directory's first cell holds the sum; page addresses follow.
const SUM: usize = 0;
const PAGES: usize = 1;

/// One series' cells in one shard: its sum and the addresses of its
/// allocated pages (0 until a record lands in the page).
pub(crate) struct SeriesCells {
    directory: Lines,
}

impl SeriesCells {
    /// The page holding cell `page * PAGE_CELLS`, if allocated.
    #[inline(always)]
    fn page(&self, page: usize) -> Option<&Page> {
        let address = self.directory.cell(PAGES + page).load(Ordering::Acquire);
        // SAFETY: a non-zero address is a `Box<Page>` leaked by
        // `page_cold`, exposed there, and freed only when `self` drops.
        (address != 0)
            .then(|| unsafe { &*std::ptr::with_exposed_provenance::<Page>(address as usize) })
    }

    /// Page `page`, allocated (and published) if it was not.
    #[cold]
    #[inline(never)]
    fn page_cold(&self, page: usize) -> &Page {
        let fresh = Box::into_raw(Box::new(Page::new()));
        let address = fresh.expose_provenance() as u64;
        // Writers of the shared block may race to allocate: the first
        // published page wins, the others free theirs.
        match self.directory.cell(PAGES + page).compare_exchange(
            0,
            address,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => {}
            // SAFETY: `fresh` was never published.
            Err(_) => drop(unsafe { Box::from_raw(fresh) }),
        }
        self.page(page).expect("a page was just published")
    }

    /// Records a prepared value into cells the caller alone writes if its
    /// page exists; `false` (nothing recorded) if it does not.
    #[inline(always)]
    pub(crate) fn try_record(&self, (value, cell): (u64, usize)) -> bool {
        // SAFETY: `cell < layout.len`, so its page is below `pages` and
        // the directory has `PAGES + pages` cells; SUM is cell 0.
        let address = unsafe { self.directory.cell_unchecked(PAGES + (cell >> PAGE_SHIFT)) }
            .load(Ordering::Acquire);
        if address == 0 {
            return false;
        }
        // SAFETY: as in `page`.
        let page = unsafe { &*std::ptr::with_exposed_provenance::<Page>(address as usize) };
        page.add(cell & (PAGE_CELLS - 1), 1, Access::Owned);
        // SAFETY: SUM is cell 0 of a non-empty directory.
        unsafe { self.directory.add_unchecked(SUM, value, Access::Owned) };
        true
    }

    /// Records a prepared value, allocating its page if needed.
    #[inline(always)]
    pub(crate) fn record(&self, (value, cell): (u64, usize), access: Access) {
        let page = match self.page(cell >> PAGE_SHIFT) {
            Some(page) => page,
            None => self.page_cold(cell >> PAGE_SHIFT),
        };
        page.add(cell & (PAGE_CELLS - 1), 1, access);
        self.directory.add(SUM, value, access);
    }

    /// Empties the cells for reuse (pages stay allocated); only their
    /// writer calls this.
    pub(crate) fn zero(&self) {
        self.directory.store(SUM, 0);
        for page in self.pages() {
            for i in 0..PAGE_CELLS {
                page.1.store(i, 0);
            }
        }
    }

    /// Allocated pages with their numbers, ascending.
    fn pages(&self) -> impl Iterator<Item = (usize, &Page)> {
        (0..self.directory.cells() - PAGES).filter_map(|p| Some((p, self.page(p)?)))
    }

    /// Heap bytes held: the directory and every allocated page.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.directory.heap_bytes() + self.pages().count() * size_of::<Page>()
    }
}

impl Drop for SeriesCells {
    fn drop(&mut self) {
        for p in 0..self.directory.cells() - PAGES {
            let address = self.directory.load(PAGES + p);
            if address != 0 {
                // SAFETY: leaked by `page_cold`, freed once, here.
                drop(unsafe {
                    Box::from_raw(std::ptr::with_exposed_provenance_mut::<Page>(
                        address as usize,
                    ))
                });
            }
        }
    }
}

/// A slot for one series' cells, allocated on the first record into it.
#[derive(Default)]
pub(crate) struct SeriesSlot(AtomicPtr<SeriesCells>);

impl SeriesSlot {
    /// The series' cells, if allocated.
    #[inline(always)]
    pub(crate) fn get(&self) -> Option<&SeriesCells> {
        let cells = self.0.load(Ordering::Acquire);
        // SAFETY: a non-null pointer was leaked by `get_or_init` and is
        // freed only when `self` drops.
        (!cells.is_null()).then(|| unsafe { &*cells })
    }

    /// The series' cells, allocated with `recorder`'s shape if needed.
    #[inline(always)]
    pub(crate) fn get_or_init(&self, recorder: &Recorder) -> &SeriesCells {
        match self.get() {
            Some(cells) => cells,
            None => self.init(recorder),
        }
    }

    #[cold]
    #[inline(never)]
    fn init(&self, recorder: &Recorder) -> &SeriesCells {
        let fresh = Box::into_raw(Box::new(recorder.new_cells()));
        if self
            .0
            .compare_exchange(
                std::ptr::null_mut(),
                fresh,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: `fresh` was never published.
            drop(unsafe { Box::from_raw(fresh) });
        }
        self.get().expect("series cells were just published")
    }

    /// Heap bytes of the series' cells, 0 if never allocated.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.get()
            .map_or(0, |c| size_of::<SeriesCells>() + c.heap_bytes())
    }
}

impl Drop for SeriesSlot {
    fn drop(&mut self) {
        let cells = *self.0.get_mut();
        if !cells.is_null() {
            // SAFETY: leaked by `init`, freed once, here.
            drop(unsafe { Box::from_raw(cells) });
        }
    }
}

/// The running sum of several shards' (or buckets') cells of one series.
///
/// It holds only the cells of the pages merged so far (`counts[i]` is
/// cell `first + i`): typical data touches a fraction of the layout, and
/// a scrape should not zero and sum the rest.
pub(crate) struct Merge {
    first: usize,
    counts: Vec<u64>,
    sum: u64,
    seen: bool,
}

impl Merge {
    /// Widens the held range to cover cells `lo..=hi`.
    fn cover(&mut self, lo: usize, hi: usize) {
        if self.counts.is_empty() {
            self.first = lo;
            self.counts = vec![0; hi - lo + 1];
            return;
        }
        if lo < self.first {
            let mut wider = vec![0; self.first - lo];
            wider.extend_from_slice(&self.counts);
            self.counts = wider;
            self.first = lo;
        }
        if hi >= self.first + self.counts.len() {
            self.counts.resize(hi - self.first + 1, 0);
        }
    }

    /// Adds one series' cells: every allocated page (a value recorded
    /// while this runs may be missed: it is in flight, and the next
    /// snapshot has it).
    pub(crate) fn add(&mut self, cells: &SeriesCells) {
        self.seen = true;
        // One pass: a page a writer allocates meanwhile is either seen
        // (and covered) or not, never half.
        for (p, page) in cells.pages() {
            self.cover(p * PAGE_CELLS, p * PAGE_CELLS + PAGE_CELLS - 1);
            let base = p * PAGE_CELLS - self.first;
            for (i, count) in self.counts[base..base + PAGE_CELLS].iter_mut().enumerate() {
                *count += page.load(i);
            }
        }
        self.sum = self.sum.wrapping_add(cells.directory.load(SUM));
    }

    /// Adds another merge.
    pub(crate) fn absorb(&mut self, other: Merge) {
        if !other.seen {
            return;
        }
        self.seen = true;
        if !other.counts.is_empty() {
            let lo = other.first;
            self.cover(lo, lo + other.counts.len() - 1);
            let first = self.first;
            for (c, o) in self.counts[lo - first..].iter_mut().zip(other.counts) {
                *c += o;
            }
        }
        self.sum = self.sum.wrapping_add(other.sum);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_allocated_only_where_values_land() {
        let recorder = Recorder::new(HistogramConfig::seconds()).unwrap();
        let cells = recorder.new_cells();
        let empty = cells.heap_bytes();
        cells.record(recorder.prepare(1_000), Access::Owned);
        cells.record(recorder.prepare(1_001), Access::Owned);
        let one_page = cells.heap_bytes();
        assert_eq!(one_page - empty, PAGE_CELLS * 8);
        cells.record(recorder.prepare(1_000_000_000), Access::Owned);
        assert_eq!(cells.heap_bytes() - one_page, one_page - empty);
        let mut merge = recorder.merge();
        merge.add(&cells);
        let snap = recorder.finish(merge).unwrap();
        assert_eq!((snap.count(), snap.sum()), (3, 1_000_002_001));
    }
}
