//! The idle timeout of `TallyRecorder::idle_timeout` and the clock it is
//! measured on (families read it when they collect; the sweep of names in
//! `expiry.rs` too).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// The idle timeout and the clock it is measured on: nanoseconds since
/// the recorder was set up, plus an offset tests can advance.
pub(super) struct Expiry {
    timeout: AtomicU64,
    epoch: Instant,
    skew: AtomicU64,
}

impl Expiry {
    /// Expiry after `timeout` without a change.
    pub(super) fn new(timeout: Duration) -> Self {
        Expiry {
            timeout: AtomicU64::new(nanos(timeout)),
            epoch: Instant::now(),
            skew: AtomicU64::new(0),
        }
    }

    /// Changes the timeout.
    pub(super) fn set_timeout(&self, timeout: Duration) {
        self.timeout.store(nanos(timeout), Relaxed);
    }

    /// Whether `since` (a [`now`](Self::now)) is at least the timeout
    /// before `now`.
    pub(super) fn expired(&self, since: u64, now: u64) -> bool {
        now.saturating_sub(since) >= self.timeout.load(Relaxed)
    }

    /// The time now, in nanoseconds on this clock.
    pub(super) fn now(&self) -> u64 {
        nanos(self.epoch.elapsed()).saturating_add(self.skew.load(Relaxed))
    }

    /// Moves the clock forward by `by` (tests).
    pub(super) fn advance(&self, by: Duration) {
        self.skew.fetch_add(nanos(by), Relaxed);
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
