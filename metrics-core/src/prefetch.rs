//! Asking the CPU for a cache line before it is needed: what lets a
//! scrape of a registry larger than the cache load the next families'
//! memory while it reads this one, instead of waiting on one pointer
//! after another (see [`Registry::snapshot_each`](crate::Registry::snapshot_each)).
//!
//! A scrape walks a chain of pointers per family (the registered
//! collector, its description and family, the family's shard table, the
//! shard blocks). [`Collector::prefetch`](crate::Collector::prefetch) and
//! [`Metric::prefetch`](crate::Metric::prefetch) take a `depth`: how many
//! pointers down the chain to ask for, the levels above it having been
//! asked for on an earlier family's turn and so being in cache by now.

use std::sync::Arc;

use crate::metric::Collector;

/// How many collectors ahead of the one being read the registry asks for
/// memory (see [`collectors_ahead`]).
const LOOKAHEAD: usize = 7;

/// Asks for the memory of the collectors after `collectors[i]`, the one
/// about to be read: the collector itself `LOOKAHEAD` ahead, and depth
/// `d` of the one `LOOKAHEAD - 1 - d` ahead, whose shallower levels were
/// asked for on earlier turns. By its turn a collector's chain of
/// pointers is in cache, down to a histogram's pages (depth 4), asked for
/// while the collector before it was read and encoded.
pub(crate) fn collectors_ahead(collectors: &[Arc<dyn Collector>], i: usize) {
    if let Some(ahead) = collectors.get(i + LOOKAHEAD) {
        prefetch(Arc::as_ptr(ahead));
    }
    for d in 1..LOOKAHEAD {
        if let Some(ahead) = collectors.get(i + d) {
            ahead.prefetch(LOOKAHEAD - 1 - d);
        }
    }
}

/// Starts loading the cache line holding `p`, without waiting for it.
/// A hint: it reads nothing the program sees and never faults, whatever
/// `p` points at.
#[inline(always)]
pub(crate) fn prefetch<T: ?Sized>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint: it never faults and changes no
    // architectural state, for any address.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>())
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: PRFM is a hint: it never faults and changes no
    // architectural state, for any address.
    unsafe {
        core::arch::asm!(
            "prfm pldl1keep, [{0}]",
            in(reg) p.cast::<u8>(),
            options(nostack, readonly, preserves_flags)
        )
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let _ = p;
}

/// [`prefetch`] of every cache line `items` spans.
#[inline]
pub(crate) fn prefetch_slice<T>(items: &[T]) {
    prefetch_bytes(items.as_ptr().cast(), std::mem::size_of_val(items));
}

/// [`prefetch`] of every cache line of the `bytes` bytes from `start`
/// (which need not be valid memory: nothing is read).
#[inline]
pub(crate) fn prefetch_bytes(start: *const u8, bytes: usize) {
    // Lines of 64 bytes: the smallest of the CPUs this runs on.
    for offset in (0..bytes).step_by(64) {
        prefetch(start.wrapping_add(offset));
    }
}

#[cfg(all(test, not(tally_loom)))]
mod tests {
    use std::sync::{Arc, Mutex};

    use crate::metric::{Collector, Metric};
    use crate::{Desc, Registry};

    /// What a scrape asked of collector `id`, in order: `Some(depth)`
    /// for a prefetch, `None` for the read.
    type Log = Arc<Mutex<Vec<(usize, Option<usize>)>>>;

    struct Logged {
        id: usize,
        log: Log,
    }

    impl Collector for Logged {
        fn for_each_family(&self, _: &mut dyn FnMut(&Desc, &dyn Metric)) {
            self.log.lock().unwrap().push((self.id, None));
        }

        fn prefetch(&self, depth: usize) {
            self.log.lock().unwrap().push((self.id, Some(depth)));
        }
    }

    /// Every collector far enough from the start is asked for each depth
    /// once, shallowest first, all before it is read; the first one is
    /// read without being asked for anything.
    #[test]
    fn a_scrape_asks_for_each_depth_in_turn_before_the_read() {
        let registry = Registry::new();
        let log = Log::default();
        let count = super::LOOKAHEAD * 2;
        for id in 0..count {
            registry
                .register_collector(Arc::new(Logged {
                    id,
                    log: Arc::clone(&log),
                }))
                .unwrap();
        }
        // Registration reads each collector's families: the scrape's
        // log starts after it.
        log.lock().unwrap().clear();
        let _ = registry.snapshot();
        let log = log.lock().unwrap();
        let of = |id: usize| -> Vec<Option<usize>> {
            log.iter()
                .filter(|(i, _)| *i == id)
                .map(|(_, d)| *d)
                .collect()
        };
        assert_eq!(of(0), [None]);
        let deepest = super::LOOKAHEAD - 2;
        for id in super::LOOKAHEAD - 1..count {
            let mut want: Vec<_> = (0..=deepest).map(Some).collect();
            want.push(None);
            assert_eq!(of(id), want, "collector {id}");
        }
    }

    /// A prefetch is a hint: any address will do, null included.
    #[test]
    fn prefetch_of_any_address_is_harmless() {
        super::prefetch(std::ptr::null::<u8>());
        super::prefetch(usize::MAX as *const u8);
        super::prefetch_slice::<u64>(&[]);
        super::prefetch_slice(&[1u64; 100]);
    }
}
