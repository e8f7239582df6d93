//! Exemplars from `tracing` (feature `tracing`): record inside a span and
//! the observation keeps the span's id as its exemplar, without the
//! caller passing it. An opt-in path of its own ([`TracedCounter`],
//! [`TracedHistogram`], and `#[tally::instrument]`ed functions): the
//! plain `inc`/`record` never look at the current span.
//!
//! The exemplar's ids: with the feature `opentelemetry` and a
//! `tracing-opentelemetry` layer on the subscriber, the span's
//! OpenTelemetry trace id (32 hex digits) and span id (16); otherwise
//! both are the current `tracing` span's id, as 16 hex digits (tracing
//! has no trace id of its own). Outside a span (or with no subscriber)
//! nothing is attached.

use std::time::Duration;

use crate::counter::{Counter, CounterRef};
use crate::histogram::{Histogram, HistogramRef};

/// The current `tracing` span's id, if any.
#[inline]
pub fn current_span_id() -> Option<u64> {
    tracing_core::dispatcher::get_default(|d| d.current_span().id().map(|id| id.into_u64()))
}

/// The exemplar ids of the current span, as lowercase hex on the stack.
pub(crate) struct Ids {
    trace: [u8; 32],
    trace_len: usize,
    span: [u8; 16],
}

const DIGITS: &[u8; 16] = b"0123456789abcdef";

fn hex_into(out: &mut [u8], bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = DIGITS[(b >> 4) as usize];
        out[2 * i + 1] = DIGITS[(b & 0xf) as usize];
    }
}

impl Ids {
    /// Both ids the `tracing` span id.
    pub(crate) fn from_span_id(id: u64) -> Ids {
        let mut ids = Ids {
            trace: [0; 32],
            trace_len: 16,
            span: [0; 16],
        };
        hex_into(&mut ids.span, &id.to_be_bytes());
        ids.trace[..16].copy_from_slice(&ids.span);
        ids
    }

    /// The ids of the current span, if any.
    #[inline]
    pub(crate) fn current() -> Option<Ids> {
        let id = current_span_id()?;
        #[cfg(feature = "opentelemetry")]
        if let Some(ids) = Ids::opentelemetry() {
            return Some(ids);
        }
        Some(Ids::from_span_id(id))
    }

    /// The OpenTelemetry ids `tracing-opentelemetry` gave the current span.
    #[cfg(feature = "opentelemetry")]
    fn opentelemetry() -> Option<Ids> {
        use opentelemetry::trace::TraceContextExt;
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        let context = tracing::Span::current().context();
        let span = context.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            return None;
        }
        let mut ids = Ids {
            trace: [0; 32],
            trace_len: 32,
            span: [0; 16],
        };
        hex_into(&mut ids.trace, &sc.trace_id().to_bytes());
        hex_into(&mut ids.span, &sc.span_id().to_bytes());
        Some(ids)
    }

    pub(crate) fn trace_id(&self) -> &str {
        // Only ASCII hex digits were written.
        std::str::from_utf8(&self.trace[..self.trace_len]).unwrap_or("")
    }

    pub(crate) fn span_id(&self) -> &str {
        std::str::from_utf8(&self.span).unwrap_or("")
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
        match Ids::current() {
            Some(ids) => self.add_with_exemplar(n, ids.trace_id(), ids.span_id()),
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
        match Ids::current() {
            Some(ids) => self.record_with_exemplar(value, ids.trace_id(), ids.span_id()),
            None => self.record(value),
        }
    }

    fn record_duration_traced(self, duration: Duration) {
        match Ids::current() {
            Some(ids) => {
                self.record_duration_with_exemplar(duration, ids.trace_id(), ids.span_id())
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
    use super::Ids;

    #[test]
    fn hex() {
        let ids = Ids::from_span_id(0x00f0_67aa_0ba9_02b7);
        assert_eq!(ids.span_id(), "00f067aa0ba902b7");
        assert_eq!(ids.trace_id(), "00f067aa0ba902b7");
        assert_eq!(Ids::from_span_id(1).span_id(), "0000000000000001");
    }
}
