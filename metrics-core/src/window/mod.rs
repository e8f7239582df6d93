//! Windowed metrics: "requests in the last 5 minutes", "p99 over the last
//! minute". A ring of time slots per thread shard, rotated lazily by the
//! writer itself (no rotation thread), read consistently by scrapes.

pub(crate) mod clock;
mod counter;
mod histogram;
mod ring;

use std::time::Duration;

pub use clock::{Clock, CoarseClock, ManualClock, RecentClock};
pub use counter::{WindowedCounter, WindowedCounterRef};
pub use histogram::{WindowedHistogram, WindowedHistogramRef};

/// The span of a windowed metric: `slots` time slots of `span / slots`
/// each. A read covers the current (partial) slot and the `slots - 1`
/// before it, so between `span - span/slots` and `span` of history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    span: Duration,
    slots: usize,
}

/// Why a window was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// At least one slot and at most 3600.
    #[error("a window has 1 to 3600 slots, not {0}")]
    Slots(usize),
    /// Each slot must last at least a millisecond (the default clock
    /// advances in ticks of 1-4 ms).
    #[error("each slot must last at least 1 ms; {span:?} / {slots} is shorter")]
    Period {
        /// The requested span.
        span: Duration,
        /// The requested slot count.
        slots: usize,
    },
}

impl Window {
    /// A window of `span` cut into `slots` time slots.
    pub fn new(span: Duration, slots: usize) -> Result<Window, WindowError> {
        if !(1..=3600).contains(&slots) {
            return Err(WindowError::Slots(slots));
        }
        if span / (slots as u32) < Duration::from_millis(1) {
            return Err(WindowError::Period { span, slots });
        }
        Ok(Window { span, slots })
    }

    /// The whole span.
    pub fn span(&self) -> Duration {
        self.span
    }

    /// The number of time slots.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Old name of [`slots`](Self::slots).
    #[deprecated(since = "0.1.0", note = "use `slots`")]
    pub fn buckets(&self) -> usize {
        self.slots()
    }

    /// The ring of this window for `series` series.
    fn ring(&self, series: usize) -> ring::Ring {
        ring::Ring {
            period: (self.span.as_nanos() / self.slots as u128) as u64,
            slots: self.slots,
            stride: series,
        }
    }
}

impl Default for Window {
    /// Five minutes in five one-minute slots.
    fn default() -> Self {
        Window {
            span: Duration::from_secs(300),
            slots: 5,
        }
    }
}
