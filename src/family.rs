//! What the family types hand out and take: the per-series handles
//! (`Counter::with(..)` returns a [`CounterRef`]), exemplars, the clocks of
//! windowed families, and the errors of their configuration.
//!
//! The family types themselves ([`Counter`](crate::Counter),
//! [`Histogram`](crate::Histogram), ...) are at the crate root.

#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub use tally_core::current_span_id;
pub use tally_core::{
    exemplars_rejected, is_exemplar_id, Clock, CoarseClock, CounterRef, Exemplar, FloatCounterRef,
    FloatGaugeRef, GaugeRef, HistogramConfigError, HistogramRef, InfoError, ManualClock,
    MaxGaugeRef, MinGaugeRef, RecentClock, WindowError, WindowedCounterRef, WindowedHistogramRef,
    EXEMPLAR_LABELS_MAX,
};
