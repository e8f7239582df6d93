//! What the memory tests of every crate measure with: a global allocator
//! that counts the process' live heap bytes, and the process' resident
//! anonymous memory as the kernel counts it. Re-exported by
//! `__test_hooks`; not a stable API.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};

/// Live heap bytes of the whole process, while [`CountingAlloc`] is the
/// global allocator.
static LIVE: AtomicI64 = AtomicI64::new(0);

/// The system allocator, counting the bytes it holds: a memory test
/// installs it with `#[global_allocator] static A: CountingAlloc =
/// CountingAlloc;` and reads [`CountingAlloc::live`].
pub struct CountingAlloc;

impl CountingAlloc {
    /// Heap bytes allocated and not yet freed, process-wide.
    pub fn live() -> i64 {
        LIVE.load(Relaxed)
    }
}

// SAFETY: forwards every call to the system allocator unchanged, only
// counting bytes in an atomic (which never allocates); `realloc` is the
// trait's default (alloc, copy, dealloc), so it is counted too.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Relaxed);
        // SAFETY: the caller's contract is forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Relaxed);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// `RssAnon` of this process in bytes (`/proc/self/status`: heap and
/// other anonymous pages, no file pages); `None` where there is no such
/// line (not Linux).
pub fn rss_anon_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// The kernel reports some anonymous memory for any running process,
    /// and this reads it.
    #[test]
    fn rss_anon_is_read_on_linux() {
        assert!(super::rss_anon_bytes().unwrap() > 0);
    }
}
