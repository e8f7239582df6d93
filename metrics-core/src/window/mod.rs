//! Windowed metrics: "requests in the last 5 minutes", "p99 over the last
//! minute". A ring of time buckets per thread shard, rotated lazily by the
//! writer itself (no rotation thread), read consistently by scrapes.

pub(crate) mod clock;
mod counter;
mod histogram;
mod ring;

use std::time::Duration;

pub use clock::{Clock, CoarseClock, ManualClock, RecentClock};
pub use counter::{WindowedCounter, WindowedCounterRef};
pub use histogram::{WindowedHistogram, WindowedHistogramRef};

/// The span of a windowed metric: `buckets` buckets of `span / buckets`
/// each. A read covers the current (partial) bucket and the `buckets - 1`
/// before it, so between `span - span/buckets` and `span` of history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    span: Duration,
    buckets: usize,
}

/// Why a window was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// At least one bucket and at most 3600.
    #[error("a window has 1 to 3600 buckets, not {0}")]
    Buckets(usize),
    /// Each bucket must last at least a millisecond (the default clock
    /// advances in ticks of 1-4 ms).
    #[error("each bucket must last at least 1 ms; {span:?} / {buckets} is shorter")]
    Period {
        /// The requested span.
        span: Duration,
        /// The requested bucket count.
        buckets: usize,
    },
}

impl Window {
    /// A window of `span` cut into `buckets` buckets.
    pub fn new(span: Duration, buckets: usize) -> Result<Window, WindowError> {
        if !(1..=3600).contains(&buckets) {
            return Err(WindowError::Buckets(buckets));
        }
        if span / (buckets as u32) < Duration::from_millis(1) {
            return Err(WindowError::Period { span, buckets });
        }
        Ok(Window { span, buckets })
    }

    /// The whole span.
    pub fn span(&self) -> Duration {
        self.span
    }

    /// The number of buckets.
    pub fn buckets(&self) -> usize {
        self.buckets
    }

    /// The ring of this window for `series` series.
    fn ring(&self, series: usize) -> ring::Ring {
        ring::Ring {
            period: (self.span.as_nanos() / self.buckets as u128) as u64,
            buckets: self.buckets,
            stride: series,
        }
    }
}

impl Default for Window {
    /// Five minutes in five one-minute buckets.
    fn default() -> Self {
        Window {
            span: Duration::from_secs(300),
            buckets: 5,
        }
    }
}
