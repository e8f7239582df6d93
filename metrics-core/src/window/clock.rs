//! The monotonic clocks windowed metrics read at write time.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};

use crossbeam_utils::CachePadded;
use std::time::Duration;

/// A monotonic clock in nanoseconds. Windowed metrics read it on every
/// write to find the time slot, so it must be cheap; tests inject a
/// [`ManualClock`] to make rotation deterministic.
pub trait Clock: Send + Sync + 'static {
    /// Nanoseconds since an arbitrary fixed origin; never decreases.
    fn now_nanos(&self) -> u64;
}

/// The default clock: Linux's `CLOCK_MONOTONIC_COARSE` (a read of the
/// kernel's vDSO page, ~3 ns, advancing every tick of 1-4 ms), which is
/// ample resolution for slots of a second or more. Elsewhere it falls
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
fn coarse_now() -> u64 {
    clock_nanos(libc::CLOCK_MONOTONIC_COARSE)
}

/// Nanoseconds on a Linux clock.
#[cfg(target_os = "linux")]
#[inline(always)]
#[allow(unsafe_code)]
fn clock_nanos(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and the coarse clocks are
    // supported by every Linux since 2.6.32; the call only writes `ts`.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Wall-clock nanoseconds since the Unix epoch at the resolution of a
/// scheduler tick (`CLOCK_REALTIME_COARSE`, a few ns to read): what an
/// exemplar's timestamp needs (Prometheus keeps milliseconds).
pub(crate) fn coarse_wall_nanos() -> u64 {
    #[cfg(target_os = "linux")]
    {
        clock_nanos(libc::CLOCK_REALTIME_COARSE)
    }
    #[cfg(not(target_os = "linux"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    }
}

#[cfg(not(target_os = "linux"))]
fn coarse_now() -> u64 {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    ORIGIN
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_nanos() as u64
}

/// The fastest clock: a load of a process-wide value that a background
/// thread (`tally-clock`) refreshes from [`CoarseClock`] every
/// millisecond, so a windowed write costs a plain load instead of a
/// system clock read (see the figures in the README). Opt-in, because it
/// runs a thread; a write can be attributed up to about a millisecond
/// (more if that thread is starved) to the previous time slot.
///
/// ```
/// use tally_core::{RecentClock, Window, WindowedCounter};
/// let clock = RecentClock::start().expect("the clock thread started");
/// let recent = WindowedCounter::<(), _>::with_clock(Window::default(), clock);
/// recent.inc();
/// assert_eq!(recent.get(), 1);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RecentClock {
    _started: (),
}

/// The time the `tally-clock` thread publishes. Read on every windowed
/// write and rewritten every millisecond, so it owns its cache line: no
/// other static's writes slow its readers, and its writes slow no one.
static RECENT: CachePadded<AtomicU64> = CachePadded::new(AtomicU64::new(0));

impl RecentClock {
    /// Starts the refreshing thread (once per process) and returns the
    /// clock; `Err` if the thread could not be spawned.
    pub fn start() -> std::io::Result<RecentClock> {
        static STARTED: OnceLock<Result<(), std::io::ErrorKind>> = OnceLock::new();
        let started = STARTED.get_or_init(|| {
            RECENT.store(coarse_now(), Relaxed);
            std::thread::Builder::new()
                .name("tally-clock".into())
                .spawn(|| loop {
                    std::thread::sleep(Duration::from_millis(1));
                    RECENT.fetch_max(coarse_now(), Relaxed);
                })
                .map(drop)
                .map_err(|e| e.kind())
        });
        match started {
            Ok(()) => Ok(RecentClock { _started: () }),
            Err(kind) => Err((*kind).into()),
        }
    }
}

impl Clock for RecentClock {
    #[inline(always)]
    fn now_nanos(&self) -> u64 {
        RECENT.load(Relaxed)
    }
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
