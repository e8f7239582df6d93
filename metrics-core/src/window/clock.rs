//! The monotonic clocks windowed metrics read at write time.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// A monotonic clock in nanoseconds. Windowed metrics read it on every
/// write to find the time bucket, so it must be cheap; tests inject a
/// [`ManualClock`] to make rotation deterministic.
pub trait Clock: Send + Sync + 'static {
    /// Nanoseconds since an arbitrary fixed origin; never decreases.
    fn now_nanos(&self) -> u64;
}

/// The default clock: Linux's `CLOCK_MONOTONIC_COARSE` (a read of the
/// kernel's vDSO page, ~3 ns, advancing every tick of 1-4 ms), which is
/// ample resolution for buckets of a second or more. Elsewhere it falls
/// back to `Instant`.
#[derive(Clone, Copy, Debug, Default)]
pub struct CoarseClock;

impl Clock for CoarseClock {
    #[inline(always)]
    fn now_nanos(&self) -> u64 {
        coarse_now()
    }
}

#[cfg(target_os = "linux")]
#[inline(always)]
#[allow(unsafe_code)]
fn coarse_now() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and CLOCK_MONOTONIC_COARSE
    // is supported by every Linux since 2.6.32; the call only writes `ts`.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(not(target_os = "linux"))]
fn coarse_now() -> u64 {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    ORIGIN
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_nanos() as u64
}

/// A clock that only moves when told to: for deterministic tests of
/// windowed metrics. Clones share the same time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_nanos() as u64, Relaxed);
    }

    /// Sets the clock to `nanos`; it must not go backwards.
    pub fn set_nanos(&self, nanos: u64) {
        self.0.fetch_max(nanos, Relaxed);
    }
}

impl Clock for ManualClock {
    fn now_nanos(&self) -> u64 {
        self.0.load(Relaxed)
    }
}
