//! The cells of one histogram series in one shard, and what recording,
//! clamping, resetting and merging them takes. Shared by [`Histogram`]
//! and the windowed histogram.
//!
//! Memory follows what is recorded, not the configured range: a series'
//! counts live in pages of [`PAGE_CELLS`] 32-bit cells (128 bytes, one
//! power of two at the default precision), allocated on the first record
//! that lands in them. A series' directory holds its sum and one page
//! address per page of the layout; a page never moves or shrinks once
//! allocated, so readers need no lock.
//!
//! Directories and pages are carved from their shard block's [`Arena`]:
//! slabs of a few kilobytes, so a page costs its 128 bytes and not a
//! heap allocation's header and alignment padding as well (what the
//! process' resident memory shows is what [`Arena::heap_bytes`] counts).
//!
//! A 32-bit cell that reaches 2^31 spills 2^31 into the series' wide
//! (64-bit) cells, allocated on the first spill: totals stay exact, and a
//! reader never sees a count twice or not at all (a spill is bracketed by
//! a begun/finished counter that readers check, as a seqlock).
//!
//! [`Histogram`]: super::Histogram

use std::alloc::{self, Layout as AllocLayout};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::atomic::{fence, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::snapshot::SharedCells;
use super::{HistogramConfig, HistogramConfigError, HistogramSnapshot, Layout};
use crate::lines::Access;

/// Cells per page: one power of two at the default precision.
pub(crate) const PAGE_CELLS: usize = 32;
const PAGE_SHIFT: u32 = PAGE_CELLS.trailing_zeros();
const PAGE_MASK: usize = PAGE_CELLS - 1;

/// A page of counts: 128 bytes.
type Page = [AtomicU32; PAGE_CELLS];

/// A cell that reaches this count moves it to the series' wide cells.
const SPILL_AT: u32 = 1 << 31;

/// A histogram family's configuration, layout and clamp counter: turns
/// raw inputs into a cell index and records into series cells.
pub(crate) struct Recorder {
    pub(crate) layout: Layout,
    pub(crate) config: HistogramConfig,
    pages: usize,
    clamped: AtomicU64,
    /// Cells the last collection read: the next one's first guess.
    cells_hint: AtomicUsize,
}

impl Recorder {
    pub(crate) fn new(config: HistogramConfig) -> Result<Self, HistogramConfigError> {
        let layout = Layout::new(&config)?;
        Ok(Recorder {
            layout,
            config,
            pages: layout.len.div_ceil(PAGE_CELLS),
            clamped: AtomicU64::new(0),
            cells_hint: AtomicUsize::new(0),
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

    /// Bytes of one series' directory.
    fn directory_bytes(&self) -> usize {
        size_of::<Head>() + self.pages * size_of::<AtomicPtr<Page>>()
    }

    /// An empty arena for a block of this family: its first slab holds
    /// a directory and four pages (a series whose values span two
    /// decades), so a family with few series pays for little more than
    /// what it records.
    pub(crate) fn arena(&self) -> Arena {
        Arena::new(self.directory_bytes() + 4 * size_of::<Page>())
    }

    /// The most heap bytes one shard block of `series` series can hold:
    /// its slot table, every page of every series and their directories
    /// carved from its arena ([`Arena::bound`]), and every series' wide
    /// cells.
    pub(crate) fn block_bound(&self, series: usize) -> usize {
        let requests = series * (1 + self.pages);
        let carved = series * (self.directory_bytes() + self.pages * size_of::<Page>());
        series * size_of::<SeriesSlot>()
            + Arena::bound(
                requests,
                carved,
                self.directory_bytes().max(4 * size_of::<Page>()),
            )
            + series * self.pages * PAGE_CELLS * size_of::<AtomicU64>()
    }

    /// Asks the CPU for a series' directory or, with `pages` (the
    /// directory asked for earlier and in cache by then), its pages.
    pub(crate) fn prefetch(&self, cells: SeriesCells<'_>, pages: bool) {
        match pages {
            false => cells.prefetch_directory(self.pages),
            true => cells.prefetch_pages(),
        }
    }

    /// Snapshots of series `0..series`, each merged over the shards that
    /// `cells_of(index)` lists (`None` for a series no shard has): the
    /// span of every shard's pages first (for a series several shards
    /// hold), then one pass per shard that writes (first shard) or adds
    /// (the others) page by page into one buffer for all the series, so
    /// a collection allocates its cells once (sized by the last one) and
    /// never zeroes them apart. A shard read that raced a spill is read
    /// again.
    pub(crate) fn snapshots<'a, I>(
        &self,
        series: usize,
        cells_of: impl Fn(usize) -> I,
    ) -> Vec<Option<HistogramSnapshot>>
    where
        I: Iterator<Item = SeriesCells<'a>>,
    {
        // Per series: how many shards hold it, and for several the span
        // of their pages (a series one shard holds is read in one pass
        // that finds its span as it goes).
        // The directories are asked for here, the pages two series ahead
        // of the read below: a family larger than the cache is read at
        // the memory's throughput, not one miss after another.
        let spans: Vec<(usize, Option<(usize, usize)>)> = (0..series)
            .map(|index| {
                cells_of(index).for_each(|cells| self.prefetch(cells, false));
                let mut shards = cells_of(index);
                let Some(first) = shards.next() else {
                    return (0, None);
                };
                let Some(second) = shards.next() else {
                    return (1, None);
                };
                let mut n = 0;
                let span = [first, second]
                    .into_iter()
                    .chain(shards)
                    .inspect(|_| n += 1)
                    .filter_map(SeriesCells::page_span)
                    .reduce(|(l, h), (lo, hi)| (l.min(lo), h.max(hi)));
                (n, span)
            })
            .collect();
        let several: usize = spans
            .iter()
            .filter_map(|(_, span)| span.map(|(lo, hi)| (hi - lo + 1) * PAGE_CELLS))
            .sum();
        let mut buffer: Vec<u64> =
            Vec::with_capacity(several.max(self.cells_hint.load(Ordering::Relaxed)));
        // (first cell, range in the buffer, sum, count) per series read.
        let mut read = Vec::with_capacity(series);
        for (index, &(shards, span)) in spans.iter().enumerate() {
            if index + 2 < series {
                cells_of(index + 2).for_each(|cells| self.prefetch(cells, true));
            }
            let at = buffer.len();
            let (mut sum, mut first, mut count) = (0u64, 0usize, None);
            match (shards, span) {
                (0, _) => {
                    read.push(None);
                    continue;
                }
                (1, _) => {
                    let cells = cells_of(index).next().expect("one shard");
                    loop {
                        if let Some((p, s, c)) = cells.read_all(&mut buffer) {
                            (first, sum, count) = (p * PAGE_CELLS, s, Some(c));
                            break;
                        }
                        buffer.truncate(at);
                    }
                }
                (_, Some((lo, hi))) => {
                    first = lo * PAGE_CELLS;
                    for (n, cells) in cells_of(index).enumerate() {
                        loop {
                            if let Some(s) = cells.read_span(lo, hi, &mut buffer, at, n == 0) {
                                sum = sum.wrapping_add(s);
                                break;
                            }
                            if n == 0 {
                                buffer.truncate(at);
                            }
                        }
                    }
                }
                (_, None) => {
                    sum = cells_of(index).fold(0u64, |s, c| {
                        s.wrapping_add(c.head().sum.load(Ordering::Relaxed))
                    });
                }
            }
            // Several shards' cells are added up first, then counted.
            let count = count.unwrap_or_else(|| buffer[at..].iter().sum());
            read.push(Some((first, at..buffer.len(), sum, count)));
        }
        self.cells_hint.store(buffer.len(), Ordering::Relaxed);
        let cells = Arc::new(SharedCells {
            layout: self.layout,
            config: self.config,
            counts: buffer,
        });
        read.into_iter()
            .map(|r| {
                let (first, range, sum, count) = r?;
                Some(self.trimmed(&cells, first, range, (sum, count)))
            })
            .collect()
    }

    /// A snapshot of cells `first..` at `buffer[range]`, without the
    /// empty cells after the last non-empty one (and those before the
    /// first, if a page or more).
    fn trimmed(
        &self,
        cells: &Arc<SharedCells>,
        mut first: usize,
        mut range: std::ops::Range<usize>,
        (sum, count): (u64, u64),
    ) -> HistogramSnapshot {
        let counts = &cells.counts[range.clone()];
        let end = counts.iter().rposition(|&c| c > 0).map_or(0, |i| i + 1);
        let start = counts[..end].iter().position(|&c| c > 0).unwrap_or(end);
        let lowest = first + start;
        range.end = range.start + end;
        if start >= PAGE_CELLS {
            range.start += start;
            first = lowest;
        }
        let (min, max) = if end == 0 {
            (0, 0)
        } else {
            let (low, _) = self.layout.range(lowest);
            let (last, width) = self.layout.range(first + range.len() - 1);
            (low, (last + (width - 1)).min(self.layout.highest))
        };
        HistogramSnapshot::shared((first, Arc::clone(cells), range), (sum, count), min, max)
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
        // Leading empty cells stay (fewer than a page: moving the rest
        // down would cost more than they do).
        let end = counts.iter().rposition(|&c| c > 0).map_or(0, |i| i + 1);
        let start = counts[..end].iter().position(|&c| c > 0).unwrap_or(end);
        counts.truncate(end);
        let lowest = first + start;
        if start >= PAGE_CELLS {
            counts.drain(..start);
            first = lowest;
        }
        let (min, max) = if end == 0 {
            (0, 0)
        } else {
            let (low, _) = self.layout.range(lowest);
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

/// A page's worth of 64-bit cells being written.
type Widened = [std::mem::MaybeUninit<u64>; PAGE_CELLS];

/// Appends a page's counts to `counts` (with `widen`) and returns their total: what a
/// scrape spends most of its time on, so unrolled, and on x86-64 four
/// cells a load.
#[inline(always)]
fn copy_page(
    page: &Page,
    counts: &mut Vec<u64>,
    widen: impl Fn(&Page, &mut Widened) -> u64,
) -> u64 {
    counts.reserve(PAGE_CELLS);
    let len = counts.len();
    let spare: &mut Widened = (&mut counts.spare_capacity_mut()[..PAGE_CELLS])
        .try_into()
        .expect("reserved");
    let total = widen(page, spare);
    // SAFETY: the `PAGE_CELLS` cells after `len` are reserved and were
    // just written by `widen`.
    unsafe { counts.set_len(len + PAGE_CELLS) };
    total
}

/// Writes a page's 32-bit counts into `out` as 64-bit ones, and returns
/// their total.
#[cfg(not(all(target_arch = "x86_64", not(miri))))]
#[inline(always)]
fn widen(page: &Page, out: &mut Widened) -> u64 {
    let mut total = 0;
    for (out, cell) in out.iter_mut().zip(page) {
        let c = u64::from(cell.load(Ordering::Relaxed));
        total += c;
        out.write(c);
    }
    total
}

/// Writes a page's 32-bit counts into `out` as 64-bit ones, and returns
/// their total: SSE2 (part of x86-64's baseline; AVX2 is used where the
/// CPU has it, see [`SeriesCells::read_all`]).
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[inline(always)]
fn widen(page: &Page, out: &mut Widened) -> u64 {
    widen_sse2(page, out)
}

/// [`widen`] with AVX2: four cells a load, widened by the load itself.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn widen_avx2(page: &Page, out: &mut Widened) -> u64 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi64, _mm256_castsi256_si128, _mm256_extracti128_si256,
        _mm256_setzero_si256, _mm256_storeu_si256, _mm_add_epi64, _mm_cvtsi128_si64,
        _mm_unpackhi_epi64,
    };
    let mut total = _mm256_setzero_si256();
    for (i, cells) in page.chunks_exact(4).enumerate() {
        let four: __m256i;
        // SAFETY: reads the 16 bytes of four live `AtomicU32` cells, as
        // the SSE2 load of `widen_sse2` does (see there), zero-extending
        // each to 64 bits.
        unsafe {
            std::arch::asm!(
                "vpmovzxdq {four}, xmmword ptr [{cells}]",
                cells = in(reg) cells.as_ptr(),
                four = lateout(ymm_reg) four,
                options(nostack, readonly, preserves_flags),
            );
        }
        total = _mm256_add_epi64(total, four);
        // SAFETY: `out` holds `PAGE_CELLS` cells; this writes cells
        // `4 * i..4 * i + 4` of them (`i < PAGE_CELLS / 4`), unaligned
        // stores being allowed.
        unsafe { _mm256_storeu_si256(out.as_mut_ptr().add(4 * i).cast::<__m256i>(), four) };
    }
    let half = _mm_add_epi64(
        _mm256_castsi256_si128(total),
        _mm256_extracti128_si256::<1>(total),
    );
    _mm_cvtsi128_si64(_mm_add_epi64(half, _mm_unpackhi_epi64(half, half))) as u64
}

/// [`widen`] with SSE2 (part of x86-64), one 16-byte load per four cells.
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[inline(always)]
fn widen_sse2(page: &Page, out: &mut Widened) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi64, _mm_cvtsi128_si64, _mm_setzero_si128, _mm_storeu_si128,
        _mm_unpackhi_epi32, _mm_unpackhi_epi64, _mm_unpacklo_epi32,
    };
    // SAFETY (every intrinsic below): SSE2 is part of x86-64's baseline.
    let zero = unsafe { _mm_setzero_si128() };
    let mut total = zero;
    for (i, cells) in page.chunks_exact(4).enumerate() {
        let four: __m128i;
        // SAFETY: reads the 16 bytes of four live `AtomicU32` cells
        // (`chunks_exact` gives exactly four). Writers store to them
        // concurrently, which is why this is an `asm!` load and not a
        // Rust one: on x86-64 it reads each 4-aligned cell whole, as four
        // relaxed `AtomicU32::load`s would (a count is seen before or
        // after a writer's store, never torn), and the compiler treats it
        // as opaque.
        unsafe {
            std::arch::asm!(
                "movdqu {four}, [{cells}]",
                cells = in(reg) cells.as_ptr(),
                four = lateout(xmm_reg) four,
                options(nostack, readonly, preserves_flags),
            );
        }
        // SAFETY: SSE2 (see above); `out` holds `PAGE_CELLS` cells and
        // this writes cells `4 * i..4 * i + 4` of them
        // (`i < PAGE_CELLS / 4`), unaligned stores being allowed.
        unsafe {
            let low = _mm_unpacklo_epi32(four, zero);
            let high = _mm_unpackhi_epi32(four, zero);
            total = _mm_add_epi64(total, _mm_add_epi64(low, high));
            let at = out.as_mut_ptr().add(4 * i).cast::<__m128i>();
            _mm_storeu_si128(at, low);
            _mm_storeu_si128(at.add(1), high);
        }
    }
    // SAFETY: SSE2 (see above).
    unsafe {
        let total = _mm_add_epi64(total, _mm_unpackhi_epi64(total, total));
        _mm_cvtsi128_si64(total) as u64
    }
}

/// The start of a series' directory; `pages` page addresses follow it.
#[repr(C)]
struct Head {
    /// The sum of the values recorded.
    sum: AtomicU64,
    /// Spills begun (high 32 bits) and finished (low 32 bits).
    spills: AtomicU64,
    /// Null, or the series' `pages * PAGE_CELLS` wide cells (a `Box`).
    wide: AtomicPtr<AtomicU64>,
    /// The pages allocated so far lie in `lo..=hi`, stored as
    /// `lo << 32 | (hi + 1)` (0: none yet), widened before a page is
    /// published: a scrape reads these address slots, not all `pages`.
    span: AtomicU64,
    /// How many page addresses follow.
    pages: usize,
}

/// One series' cells in one shard: a view of its directory (sum, spill
/// counter, wide cells, and the addresses of its allocated pages, null
/// until a record lands in the page), which lives in the shard's arena.
#[derive(Clone, Copy)]
pub(crate) struct SeriesCells<'a> {
    head: NonNull<Head>,
    _arena: PhantomData<&'a Arena>,
}

impl<'a> SeriesCells<'a> {
    #[inline(always)]
    fn head(self) -> &'a Head {
        // SAFETY: the directory was initialized by `SeriesSlot::init` and
        // lives in an arena that outlives `'a`.
        unsafe { self.head.as_ref() }
    }

    /// The address slot of page `page`.
    ///
    /// # Safety
    /// `page < self.head().pages`.
    #[inline(always)]
    unsafe fn page_slot(self, page: usize) -> &'a AtomicPtr<Page> {
        // SAFETY: the directory holds `pages` address slots right after
        // its head, in the same arena allocation (whose provenance the
        // pointer carries); the caller keeps `page` in range.
        unsafe {
            &*self
                .head
                .as_ptr()
                .add(1)
                .cast::<AtomicPtr<Page>>()
                .add(page)
        }
    }

    /// The page holding cell `page * PAGE_CELLS`, if allocated.
    #[inline(always)]
    fn page(self, page: usize) -> Option<&'a Page> {
        assert!(page < self.head().pages);
        // SAFETY: checked just above.
        let address = unsafe { self.page_slot(page) }.load(Ordering::Acquire);
        // SAFETY: a non-null address is a zeroed page carved from the
        // arena by `page_cold`, which outlives `'a`.
        unsafe { address.as_ref() }
    }

    /// Page `page`, allocated (and published) if it was not.
    #[cold]
    #[inline(never)]
    fn page_cold(self, page: usize, arena: &'a Arena) -> &'a Page {
        assert!(page < self.head().pages);
        let fresh = arena.alloc(size_of::<Page>()).cast::<Page>().as_ptr();
        // Widened first, so a reader that sees the page sees the span.
        let _ = self
            .head()
            .span
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |span| {
                let (lo, end) = match span {
                    0 => (page, page + 1),
                    _ => (
                        ((span >> 32) as usize).min(page),
                        (span as u32 as usize).max(page + 1),
                    ),
                };
                Some((lo as u64) << 32 | end as u64)
            });
        // Writers of the shared block may race to allocate: the first
        // published page wins (the others' 128 bytes stay in the arena).
        // SAFETY: `page` checked above.
        let _ = unsafe { self.page_slot(page) }.compare_exchange(
            ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        self.page(page).expect("a page was just published")
    }

    /// Adds one to cell `cell` (of `page`), spilling it if it reached
    /// [`SPILL_AT`].
    #[inline(always)]
    fn bump(self, page: &Page, cell: usize, access: Access) {
        // SAFETY: masked into the page.
        let count = unsafe { page.get_unchecked(cell & PAGE_MASK) };
        let now = match access {
            // Sole writer: no other thread can store between the load and
            // the store, so this is exact and costs no locked instruction.
            Access::Owned => {
                let now = count.load(Ordering::Relaxed).wrapping_add(1);
                count.store(now, Ordering::Relaxed);
                now
            }
            // Exactly one writer sees the count reach `SPILL_AT`.
            Access::Shared => count.fetch_add(1, Ordering::Relaxed).wrapping_add(1),
        };
        if now == SPILL_AT {
            self.spill(count, cell);
        }
    }

    /// Moves [`SPILL_AT`] from a 32-bit cell to its wide cell, bracketed
    /// by the spill counter so readers see it whole or not at all.
    #[cold]
    #[inline(never)]
    fn spill(self, count: &AtomicU32, cell: usize) {
        let head = self.head();
        head.spills.fetch_add(1 << 32, Ordering::Relaxed);
        fence(Ordering::Release);
        self.wide_or_init()[cell].fetch_add(u64::from(SPILL_AT), Ordering::Relaxed);
        count.fetch_sub(SPILL_AT, Ordering::Relaxed);
        head.spills.fetch_add(1, Ordering::Release);
    }

    /// The wide cells, if a cell ever spilled.
    fn wide(self) -> Option<&'a [AtomicU64]> {
        let head = self.head();
        let wide = head.wide.load(Ordering::Acquire);
        // SAFETY: a non-null pointer is a leaked `Box<[AtomicU64]>` of
        // `pages * PAGE_CELLS` cells, freed by the slot's drop.
        (!wide.is_null())
            .then(|| unsafe { std::slice::from_raw_parts(wide, head.pages * PAGE_CELLS) })
    }

    #[cold]
    fn wide_or_init(self) -> &'a [AtomicU64] {
        if let Some(wide) = self.wide() {
            return wide;
        }
        let cells = self.head().pages * PAGE_CELLS;
        let fresh: Box<[AtomicU64]> = (0..cells).map(|_| AtomicU64::new(0)).collect();
        let fresh = Box::into_raw(fresh).cast::<AtomicU64>();
        if self
            .head()
            .wide
            .compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // SAFETY: `fresh` was never published.
            drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(fresh, cells)) });
        }
        self.wide().expect("wide cells were just published")
    }

    /// Records a prepared value into cells the caller alone writes if its
    /// page exists; `false` (nothing recorded) if it does not.
    #[inline(always)]
    pub(crate) fn try_record(self, (value, cell): (u64, usize)) -> bool {
        // SAFETY: `cell < layout.len`, so its page is below `pages`.
        let address = unsafe { self.page_slot(cell >> PAGE_SHIFT) }.load(Ordering::Acquire);
        // SAFETY: as in `page`.
        let Some(page) = (unsafe { address.as_ref() }) else {
            return false;
        };
        self.bump(page, cell, Access::Owned);
        let sum = &self.head().sum;
        sum.store(
            sum.load(Ordering::Relaxed).wrapping_add(value),
            Ordering::Relaxed,
        );
        true
    }

    /// Records a prepared value, allocating its page from `arena` (the
    /// arena of the block holding these cells) if needed.
    #[inline(always)]
    pub(crate) fn record(self, (value, cell): (u64, usize), access: Access, arena: &'a Arena) {
        let page = match self.page(cell >> PAGE_SHIFT) {
            Some(page) => page,
            None => self.page_cold(cell >> PAGE_SHIFT, arena),
        };
        self.bump(page, cell, access);
        let sum = &self.head().sum;
        match access {
            Access::Owned => sum.store(
                sum.load(Ordering::Relaxed).wrapping_add(value),
                Ordering::Relaxed,
            ),
            Access::Shared => {
                sum.fetch_add(value, Ordering::Relaxed);
            }
        }
    }

    /// Empties the cells for reuse (pages stay allocated); only their
    /// writer calls this.
    pub(crate) fn zero(self) {
        self.head().sum.store(0, Ordering::Relaxed);
        for (_, page) in self.pages() {
            for count in page {
                count.store(0, Ordering::Relaxed);
            }
        }
        for wide in self.wide().into_iter().flatten() {
            wide.store(0, Ordering::Relaxed);
        }
    }

    /// Allocated pages with their numbers, ascending.
    fn pages(self) -> impl Iterator<Item = (usize, &'a Page)> {
        (0..self.head().pages).filter_map(move |p| Some((p, self.page(p)?)))
    }

    /// The first and last allocated page, if any.
    fn page_span(self) -> Option<(usize, usize)> {
        let slots = self.page_slots();
        let (lo, end) = self.span();
        let first = lo
            + slots[lo..end]
                .iter()
                .position(|s| !s.load(Ordering::Acquire).is_null())?;
        let last = lo
            + slots[lo..end]
                .iter()
                .rposition(|s| !s.load(Ordering::Acquire).is_null())?;
        Some((first, last))
    }

    /// The range of page numbers that holds every allocated page (empty
    /// if none).
    fn span(self) -> (usize, usize) {
        let span = self.head().span.load(Ordering::Acquire);
        ((span >> 32) as usize, span as u32 as usize)
    }

    /// Asks the CPU for the directory of a series of a family with
    /// `pages` pages (see [`crate::prefetch`]), without reading it.
    fn prefetch_directory(self, pages: usize) {
        let bytes = size_of::<Head>() + pages * size_of::<AtomicPtr<Page>>();
        crate::prefetch::prefetch_bytes(self.head.as_ptr().cast(), bytes);
    }

    /// Asks the CPU for the allocated pages, reading the directory (asked
    /// for earlier, by [`prefetch_directory`](Self::prefetch_directory)).
    fn prefetch_pages(self) {
        let (lo, end) = self.span();
        for slot in self.page_slots().iter().take(end).skip(lo) {
            let page = slot.load(Ordering::Relaxed);
            if !page.is_null() {
                crate::prefetch::prefetch_slice(std::slice::from_ref(
                    // SAFETY: a non-null address is a page carved from
                    // the arena, which outlives `'a`.
                    unsafe { &*page },
                ));
            }
        }
    }

    /// Every page address slot.
    fn page_slots(self) -> &'a [AtomicPtr<Page>] {
        // SAFETY: the directory holds `pages` address slots right after
        // its head (see `page_slot`).
        unsafe {
            std::slice::from_raw_parts(
                self.head.as_ptr().add(1).cast::<AtomicPtr<Page>>(),
                self.head().pages,
            )
        }
    }

    /// Appends every page from the first allocated to the last (empty
    /// ones between as zeros) to `counts`; returns the first page, the
    /// series' sum and the count read, or `None` if a spill ran meanwhile
    /// (then `counts` is to be truncated to its length before, and the
    /// read retried).
    fn read_all(self, counts: &mut Vec<u64>) -> Option<(usize, u64, u64)> {
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { self.read_all_avx2(counts) };
        }
        self.read_all_with(counts, widen)
    }

    /// [`read_all`](Self::read_all) with AVX2.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    #[target_feature(enable = "avx2")]
    unsafe fn read_all_avx2(self, counts: &mut Vec<u64>) -> Option<(usize, u64, u64)> {
        // SAFETY: this runs only where the CPU has AVX2 (the caller's
        // contract).
        self.read_all_with(counts, |page, out| unsafe { widen_avx2(page, out) })
    }

    /// [`read_all`](Self::read_all), each page widened by `widen`.
    #[inline(always)]
    fn read_all_with(
        self,
        counts: &mut Vec<u64>,
        widen: impl Fn(&Page, &mut Widened) -> u64,
    ) -> Option<(usize, u64, u64)> {
        let head = self.head();
        let before = head.spills.load(Ordering::Acquire);
        if (before >> 32) as u32 != before as u32 {
            std::thread::yield_now();
            return None;
        }
        let at = counts.len();
        let (mut first, mut next, mut total) = (None, 0, 0u64);
        let (lo, end) = self.span();
        for (p, slot) in self.page_slots().iter().enumerate().take(end).skip(lo) {
            // SAFETY: as in `page`.
            let Some(page) = (unsafe { slot.load(Ordering::Acquire).as_ref() }) else {
                continue;
            };
            if first.is_none() {
                first = Some(p);
            } else if next < p {
                counts.resize(counts.len() + (p - next) * PAGE_CELLS, 0);
            }
            total += copy_page(page, counts, &widen);
            next = p + 1;
        }
        let first = first.unwrap_or(0);
        if let Some(wide) = self.wide() {
            for (count, w) in counts[at..].iter_mut().zip(&wide[first * PAGE_CELLS..]) {
                let w = w.load(Ordering::Relaxed);
                total += w;
                *count += w;
            }
        }
        let sum = head.sum.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        (head.spills.load(Ordering::Relaxed) == before).then_some((first, sum, total))
    }

    /// Reads pages `lo..=hi` into `counts`: appends them (`write`, every
    /// page of the span, empty ones as zeros) or adds them to the cells
    /// from `at` on; returns the series' sum, or `None` if a spill ran
    /// meanwhile (then the read must be retried; a written read is to be
    /// truncated to `at` first).
    fn read_span(
        self,
        lo: usize,
        hi: usize,
        counts: &mut Vec<u64>,
        at: usize,
        write: bool,
    ) -> Option<u64> {
        let head = self.head();
        let before = head.spills.load(Ordering::Acquire);
        if (before >> 32) as u32 != before as u32 {
            std::thread::yield_now();
            return None;
        }
        let slots = self.page_slots();
        for (p, slot) in slots.iter().enumerate().take(hi + 1).skip(lo) {
            // SAFETY: as in `page`.
            let page = unsafe { slot.load(Ordering::Acquire).as_ref() };
            if write {
                match page {
                    Some(page) => {
                        copy_page(page, counts, widen);
                    }
                    None => counts.extend([0; PAGE_CELLS]),
                }
            } else if let Some(page) = page {
                let base = at + (p - lo) * PAGE_CELLS;
                for (count, c) in counts[base..base + PAGE_CELLS].iter_mut().zip(page) {
                    *count += u64::from(c.load(Ordering::Relaxed));
                }
            }
        }
        if let Some(wide) = self.wide() {
            let from = lo * PAGE_CELLS;
            for (count, w) in counts[at..].iter_mut().zip(&wide[from..]) {
                *count += w.load(Ordering::Relaxed);
            }
        }
        let sum = head.sum.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        (head.spills.load(Ordering::Relaxed) == before).then_some(sum)
    }

    /// The counts of page `p` (32-bit cell plus wide cell), consistent
    /// with every spill: read again if a spill ran meanwhile.
    fn read_page(self, p: usize, page: &Page, out: &mut [u64; PAGE_CELLS]) {
        let spills = &self.head().spills;
        let mut tries = 0u32;
        loop {
            let before = spills.load(Ordering::Acquire);
            if (before >> 32) as u32 == before as u32 {
                for (o, count) in out.iter_mut().zip(page) {
                    *o = u64::from(count.load(Ordering::Relaxed));
                }
                if let Some(wide) = self.wide() {
                    for (o, w) in out.iter_mut().zip(&wide[p * PAGE_CELLS..]) {
                        *o += w.load(Ordering::Relaxed);
                    }
                }
                fence(Ordering::Acquire);
                if spills.load(Ordering::Relaxed) == before {
                    return;
                }
            }
            // A spill is in flight (a few instructions, unless its writer
            // was preempted).
            tries += 1;
            if tries % 64 == 0 {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }

    /// Heap bytes outside the arena: the wide cells, if any.
    fn wide_bytes(self) -> usize {
        self.wide().map_or(0, size_of_val)
    }
}

/// A slot for one series' cells, allocated on the first record into it.
#[derive(Default)]
pub(crate) struct SeriesSlot(AtomicPtr<Head>);

impl SeriesSlot {
    /// The series' cells, if allocated.
    #[inline(always)]
    pub(crate) fn get(&self) -> Option<SeriesCells<'_>> {
        let head = NonNull::new(self.0.load(Ordering::Acquire))?;
        Some(SeriesCells {
            head,
            _arena: PhantomData,
        })
    }

    /// The series' cells, their directory carved from `arena` (the arena
    /// of the block holding this slot) with `recorder`'s shape if needed.
    #[inline(always)]
    pub(crate) fn get_or_init<'a>(
        &'a self,
        recorder: &Recorder,
        arena: &'a Arena,
    ) -> SeriesCells<'a> {
        match self.get() {
            Some(cells) => cells,
            None => self.init(recorder, arena),
        }
    }

    #[cold]
    #[inline(never)]
    fn init<'a>(&'a self, recorder: &Recorder, arena: &'a Arena) -> SeriesCells<'a> {
        let fresh = arena.alloc(recorder.directory_bytes()).cast::<Head>();
        // SAFETY: fresh, zeroed and unpublished: only this thread sees it.
        // Zero is a valid value for every other field.
        unsafe { ptr::addr_of_mut!((*fresh.as_ptr()).pages).write(recorder.pages) };
        // Writers of the shared block may race: the first directory wins.
        let _ = self.0.compare_exchange(
            ptr::null_mut(),
            fresh.as_ptr(),
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        self.get().expect("series cells were just published")
    }

    /// Heap bytes of the series outside its block's arena (wide cells).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.get().map_or(0, SeriesCells::wide_bytes)
    }
}

impl Drop for SeriesSlot {
    fn drop(&mut self) {
        // The directory and pages belong to the arena (dropped after the
        // slots of its block); only the wide cells are the slot's own.
        if let Some(cells) = self.get() {
            if let Some(wide) = cells.wide() {
                let wide = ptr::from_ref(wide).cast_mut();
                // SAFETY: leaked by `wide_or_init`, freed once, here.
                drop(unsafe { Box::from_raw(wide) });
            }
        }
    }
}

/// A bump allocator of zeroed memory for one shard block's directories
/// and pages: a first slab of a given size, then slabs twice as large
/// as all before them, up to 4 KiB (larger only for a larger request), each
/// aligned to 128 bytes so no other thread's data shares a cache line
/// with its edges. Nothing is freed before the arena drops (pages never
/// are); allocation is lock-free, for the shared block.
pub(crate) struct Arena {
    /// The current slab (null before the first allocation); each slab
    /// links to the one before it.
    head: AtomicPtr<Slab>,
    /// Bytes of every slab, headers included.
    bytes: AtomicUsize,
    /// The first slab's size.
    first: usize,
}

/// A slab's header; its memory follows.
#[repr(C)]
struct Slab {
    next: *mut Slab,
    size: usize,
    /// Bytes handed out (from the header's end on); may run past `size`
    /// when a request does not fit.
    used: AtomicUsize,
}

const SLAB_ALIGN: usize = 128;
const MAX_SLAB: usize = 4096;

impl Arena {
    /// An empty arena whose first slab holds `first` bytes.
    pub(crate) fn new(first: usize) -> Self {
        Arena {
            head: AtomicPtr::new(ptr::null_mut()),
            bytes: AtomicUsize::new(0),
            first: (first + size_of::<Slab>()).next_multiple_of(SLAB_ALIGN),
        }
    }

    /// An empty arena shaped like this one.
    pub(crate) fn fresh(&self) -> Self {
        Arena {
            head: AtomicPtr::new(ptr::null_mut()),
            bytes: AtomicUsize::new(0),
            first: self.first,
        }
    }

    /// The size of a slab for a request of `bytes` when `held` bytes of
    /// slabs exist (the first: `first`): twice as large as all before
    /// it, at most [`MAX_SLAB`], and at least twice the request.
    fn slab_size(first: usize, held: usize, bytes: usize) -> usize {
        let grown = if held == 0 {
            first
        } else {
            (2 * held).min(MAX_SLAB)
        };
        grown
            .max(2 * (bytes + size_of::<Slab>()))
            .next_multiple_of(SLAB_ALIGN)
    }

    /// The most bytes an arena can hold after `requests` allocations
    /// adding up to `carved` bytes, none larger than `largest`: each
    /// slab but the current one is closed by a request that did not fit
    /// (so holds less unused than that request, plus its header), and
    /// the current one is at most one slab's size. (Writers of a shared
    /// block racing for the same page or directory each carve one; the
    /// losers' bytes stay unused, at most one per racing writer.)
    pub(crate) fn bound(requests: usize, carved: usize, largest: usize) -> usize {
        2 * carved + requests * size_of::<Slab>() + Self::slab_size(0, MAX_SLAB, largest)
    }

    /// `bytes` (a multiple of 8) of zeroed memory, aligned to 8, valid
    /// until the arena drops.
    pub(crate) fn alloc(&self, bytes: usize) -> NonNull<u8> {
        debug_assert!(bytes % 8 == 0);
        loop {
            let head = self.head.load(Ordering::Acquire);
            // SAFETY: a non-null head is a live slab of this arena.
            if let Some(slab) = unsafe { head.as_ref() } {
                let at = slab.used.fetch_add(bytes, Ordering::Relaxed);
                if at + bytes <= slab.size {
                    // SAFETY: `at + bytes` lies within the slab.
                    return unsafe { NonNull::new_unchecked(head.cast::<u8>().add(at)) };
                }
            }
            let size = Self::slab_size(self.first, self.bytes.load(Ordering::Relaxed), bytes);
            let layout = AllocLayout::from_size_align(size, SLAB_ALIGN).expect("a valid slab size");
            // SAFETY: `layout` has a non-zero size.
            let fresh = unsafe { alloc::alloc_zeroed(layout) }.cast::<Slab>();
            if fresh.is_null() {
                alloc::handle_alloc_error(layout);
            }
            let start = size_of::<Slab>();
            // SAFETY: fresh and unpublished; the header fits (sizes are at
            // least twice it).
            unsafe {
                fresh.write(Slab {
                    next: head,
                    size,
                    used: AtomicUsize::new(start + bytes),
                })
            };
            match self
                .head
                .compare_exchange(head, fresh, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    self.bytes.fetch_add(size, Ordering::Relaxed);
                    // SAFETY: the request fits after the header.
                    return unsafe { NonNull::new_unchecked(fresh.cast::<u8>().add(start)) };
                }
                // Another writer installed a slab first: use that one.
                // SAFETY: `fresh` was never published.
                Err(_) => unsafe { alloc::dealloc(fresh.cast(), layout) },
            }
        }
    }

    /// Bytes of every slab.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        let mut slab = *self.head.get_mut();
        while !slab.is_null() {
            // SAFETY: every slab came from `alloc_zeroed` with this
            // layout and is freed once, here.
            unsafe {
                let (next, size) = ((*slab).next, (*slab).size);
                alloc::dealloc(
                    slab.cast(),
                    AllocLayout::from_size_align_unchecked(size, SLAB_ALIGN),
                );
                slab = next;
            }
        }
    }
}

// SAFETY: the arena hands out memory through atomics only; its raw slab
// pointers are owned by it and freed only on drop.
unsafe impl Send for Arena {}
// SAFETY: as above; `alloc` is lock-free and safe to call concurrently.
unsafe impl Sync for Arena {}

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
    /// Widens the held range to cover cells `lo..=hi` (done once up
    /// front with the span of every shard's pages, a merge never grows
    /// page by page).
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
    pub(crate) fn add(&mut self, cells: SeriesCells<'_>) {
        self.seen = true;
        // One pass: a page a writer allocates meanwhile is either seen
        // (and covered) or not, never half.
        let mut read = [0u64; PAGE_CELLS];
        for (p, page) in cells.pages() {
            cells.read_page(p, page, &mut read);
            self.cover(p * PAGE_CELLS, p * PAGE_CELLS + PAGE_CELLS - 1);
            let base = p * PAGE_CELLS - self.first;
            for (count, r) in self.counts[base..base + PAGE_CELLS].iter_mut().zip(read) {
                *count += r;
            }
        }
        self.sum = self
            .sum
            .wrapping_add(cells.head().sum.load(Ordering::Relaxed));
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
    use super::super::HdrCell;
    use super::*;

    #[test]
    fn pages_are_allocated_only_where_values_land() {
        let recorder = Recorder::new(HistogramConfig::seconds()).unwrap();
        let arena = recorder.arena();
        let slot = SeriesSlot::default();
        let cells = slot.get_or_init(&recorder, &arena);
        assert_eq!(cells.pages().count(), 0);
        cells.record(recorder.prepare(1_000), Access::Owned, &arena);
        cells.record(recorder.prepare(1_001), Access::Owned, &arena);
        assert_eq!(cells.pages().count(), 1);
        cells.record(recorder.prepare(1_000_000_000), Access::Owned, &arena);
        assert_eq!(cells.pages().count(), 2);
        assert_eq!(arena.heap_bytes(), recorder.arena().first);
        let mut merge = recorder.merge();
        merge.add(cells);
        let snap = recorder.finish(merge).unwrap();
        assert_eq!((snap.count(), snap.sum()), (3, 1_000_002_001));
    }

    /// A collection reads every page a series allocated, below and above
    /// its first one and across gaps, each cell whole (the 16-byte page
    /// loads on x86-64 included), and counts exactly what it read.
    #[test]
    fn a_collection_reads_every_page_wherever_it_was_allocated() {
        let recorder = Recorder::new(HistogramConfig::seconds()).unwrap();
        let arena = recorder.arena();
        let slot = SeriesSlot::default();
        let cells = slot.get_or_init(&recorder, &arena);
        // First a middle page, then one below it and one above, with
        // unallocated pages between; several cells of one page.
        let values = [1_000_000u64, 1_000, 3_000_000_000, 1_000_001, 1_031_000];
        for (n, &v) in values.iter().enumerate() {
            for _ in 0..=n {
                cells.record(recorder.prepare(v), Access::Owned, &arena);
            }
        }
        assert_eq!(cells.pages().count(), 3);
        let snap = recorder
            .snapshots(1, |_| slot.get().into_iter())
            .pop()
            .flatten()
            .unwrap();
        assert_eq!(snap.count(), 15);
        let sum: u64 = values
            .iter()
            .enumerate()
            .map(|(n, &v)| v * (n as u64 + 1))
            .sum();
        assert_eq!(snap.sum(), sum);
        let buckets: Vec<HdrCell> = snap.cells().collect();
        let mut expected: Vec<(u64, u64)> = Vec::new();
        for (n, &v) in values.iter().enumerate() {
            let (low, width) = recorder.layout.range(recorder.layout.index(v));
            match expected.iter_mut().find(|(l, _)| *l == low) {
                Some((_, c)) => *c += n as u64 + 1,
                None => expected.push((low, n as u64 + 1)),
            }
            assert!(buckets
                .iter()
                .any(|b| b.low == low && b.high == low + width - 1));
        }
        expected.sort_unstable();
        let got: Vec<(u64, u64)> = buckets.iter().map(|b| (b.low, b.count)).collect();
        assert_eq!(got, expected);
        assert_eq!(snap.min(), expected[0].0);
    }

    /// Every way of widening a page (SSE2, and AVX2 where the CPU has
    /// it) writes each cell whole, as a 64-bit count, and totals them.
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    #[test]
    fn widened_pages_hold_every_cell_and_their_total() {
        let page: Page = std::array::from_fn(|i| {
            AtomicU32::new(match i % 4 {
                0 => 0,
                1 => u32::MAX - i as u32,
                2 => SPILL_AT - 1,
                _ => i as u32 * 7919,
            })
        });
        let expected: Vec<u64> = page
            .iter()
            .map(|c| u64::from(c.load(Ordering::Relaxed)))
            .collect();
        let total: u64 = expected.iter().sum();
        let check = |widen: &dyn Fn(&Page, &mut Widened) -> u64| {
            let mut counts = vec![5u64];
            assert_eq!(copy_page(&page, &mut counts, widen), total);
            assert_eq!(counts[0], 5);
            assert_eq!(counts[1..], expected[..]);
        };
        check(&widen_sse2);
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            check(&|page, out| unsafe { widen_avx2(page, out) });
        }
    }

    /// A cell past 2^31 spills into the wide cells and keeps counting
    /// exactly, owned and shared.
    #[test]
    fn a_full_cell_spills_into_its_wide_cell_and_counts_exactly() {
        let recorder = Recorder::new(HistogramConfig::seconds()).unwrap();
        for access in [Access::Owned, Access::Shared] {
            let arena = recorder.arena();
            let slot = SeriesSlot::default();
            let cells = slot.get_or_init(&recorder, &arena);
            let prepared = recorder.prepare(1_000);
            cells.record(prepared, access, &arena);
            let page = cells.page(prepared.1 >> PAGE_SHIFT).unwrap();
            // Fast-forward the cell to just below the spill.
            page[prepared.1 & PAGE_MASK].store(SPILL_AT - 2, Ordering::Relaxed);
            assert!(cells.wide().is_none());
            for _ in 0..3 {
                cells.record(prepared, access, &arena);
            }
            assert!(cells.wide().is_some());
            assert_eq!(page[prepared.1 & PAGE_MASK].load(Ordering::Relaxed), 1);
            let mut merge = recorder.merge();
            merge.add(cells);
            let snap = recorder.finish(merge).unwrap();
            assert_eq!(snap.count(), u64::from(SPILL_AT) + 1, "{access:?}");
            assert_eq!(slot.heap_bytes(), recorder.pages * PAGE_CELLS * 8);
        }
    }

    /// Readers racing a spill never see its 2^31 twice or not at all.
    #[test]
    fn readers_never_see_a_spill_half_done() {
        let recorder = Recorder::new(HistogramConfig::seconds()).unwrap();
        let arena = recorder.arena();
        let slot = SeriesSlot::default();
        let prepared = recorder.prepare(1_000);
        let cells = slot.get_or_init(&recorder, &arena);
        cells.record(prepared, Access::Owned, &arena);
        let page = cells.page(prepared.1 >> PAGE_SHIFT).unwrap();
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                let cells = slot.get().unwrap();
                for _ in 0..200 {
                    page[prepared.1 & PAGE_MASK].store(SPILL_AT - 1, Ordering::Relaxed);
                    let before = cells
                        .wide()
                        .map_or(0, |w| w[prepared.1].load(Ordering::Relaxed));
                    cells.record(prepared, Access::Owned, &arena);
                    let after = cells.wide().unwrap()[prepared.1].load(Ordering::Relaxed);
                    assert_eq!(after - before, u64::from(SPILL_AT));
                    // Undo the spill's move so the count returns to a
                    // value below 2^31 (writer-side only test scaffolding).
                    cells.wide().unwrap()[prepared.1].store(before, Ordering::Relaxed);
                }
                done.store(true, Ordering::Relaxed);
            });
            // Every consistent read of the cell is below 2^32 + 2^31:
            // a read that counted the spill twice would exceed it.
            while !done.load(Ordering::Relaxed) {
                let mut merge = recorder.merge();
                merge.add(slot.get().unwrap());
                let snap = recorder.finish(merge).unwrap();
                assert!(snap.count() <= u64::from(SPILL_AT) + 1, "{}", snap.count());
            }
        });
    }
}
