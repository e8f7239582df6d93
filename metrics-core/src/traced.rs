//! Exemplars from `tracing` (feature `tracing`): record inside a span and
//! the observation keeps the span's id as its exemplar, without the
//! caller passing it. An opt-in path of its own ([`TracedCounter`],
//! [`TracedHistogram`], and `#[tally::instrument]`ed functions): the
//! plain `inc`/`record` never look at the current span.
//!
//! The exemplar's `trace_id` and `span_id` are both the current
//! `tracing` span's id, as 16 hex digits (tracing has no trace id of its
//! own); outside a span (or with no subscriber) nothing is attached.

use std::time::Duration;

use crate::counter::{Counter, CounterRef};
use crate::histogram::{Histogram, HistogramRef};

/// The current `tracing` span's id, if any.
#[inline]
pub fn current_span_id() -> Option<u64> {
    tracing_core::dispatcher::get_default(|d| d.current_span().id().map(|id| id.into_u64()))
}

/// A span id as 16 lowercase hex digits, on the stack.
pub(crate) struct Hex([u8; 16]);

impl Hex {
    pub(crate) fn new(id: u64) -> Hex {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 16];
        for (i, b) in out.iter_mut().enumerate() {
            *b = DIGITS[((id >> (60 - 4 * i)) & 0xf) as usize];
        }
        Hex(out)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII hex digits were written.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

/// Counting with the current span as exemplar.
pub trait TracedCounter {
    /// Adds `n`; inside a span, keeps the span as the exemplar.
    fn add_traced(self, n: u64);

    /// Adds one; inside a span, keeps the span as the exemplar.
    fn inc_traced(self)
    where
        Self: Sized,
    {
        self.add_traced(1)
    }
}

impl TracedCounter for CounterRef<'_> {
    fn add_traced(self, n: u64) {
        match current_span_id() {
            Some(id) => {
                let hex = Hex::new(id);
                self.add_with_exemplar(n, hex.as_str(), hex.as_str())
            }
            None => self.add(n),
        }
    }
}

impl TracedCounter for &Counter<()> {
    fn add_traced(self, n: u64) {
        self.with(()).add_traced(n)
    }
}

/// Recording with the current span as exemplar.
pub trait TracedHistogram {
    /// Records `value`; inside a span, keeps the span as the exemplar.
    fn record_traced(self, value: u64);

    /// Records a duration; inside a span, keeps the span as the exemplar.
    fn record_duration_traced(self, duration: Duration);
}

impl TracedHistogram for HistogramRef<'_> {
    fn record_traced(self, value: u64) {
        match current_span_id() {
            Some(id) => {
                let hex = Hex::new(id);
                self.record_with_exemplar(value, hex.as_str(), hex.as_str())
            }
            None => self.record(value),
        }
    }

    fn record_duration_traced(self, duration: Duration) {
        match current_span_id() {
            Some(id) => {
                let hex = Hex::new(id);
                self.record_duration_with_exemplar(duration, hex.as_str(), hex.as_str())
            }
            None => self.record_duration(duration),
        }
    }
}

impl TracedHistogram for &Histogram<()> {
    fn record_traced(self, value: u64) {
        self.with(()).record_traced(value)
    }

    fn record_duration_traced(self, duration: Duration) {
        self.with(()).record_duration_traced(duration)
    }
}

#[cfg(test)]
mod tests {
    use super::Hex;

    #[test]
    fn hex() {
        assert_eq!(Hex::new(0x00f0_67aa_0ba9_02b7).as_str(), "00f067aa0ba902b7");
        assert_eq!(Hex::new(1).as_str(), "0000000000000001");
    }
}
