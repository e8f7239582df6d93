//! Sparse exposition for families whose label space is mostly empty.

use crate::desc::MetricKind;
use crate::label::LabelDesc;
use crate::metric::{CollectError, Collected, Metric};
use crate::snapshot::Value;

/// A family exposed sparsely: a series whose counter or gauge value is
/// zero, or whose histogram recorded nothing, is left out of snapshots,
/// so a family over a large label space (methods × statuses × routes)
/// exposes the combinations that happened, not every zero.
///
/// Recording is untouched (it derefs to the wrapped family; no cost on
/// the hot path): the choice is made when a snapshot reads the family.
/// The trade-off is Prometheus': a series that appears with its first
/// increment has no earlier zero sample, so `rate()`/`increase()` miss
/// that first increment. Keep dense families where that matters, and for
/// gauges only where absent means zero.
///
/// ```
/// use tally_core::{Counter, Desc, Registry, Sparse};
/// let registry = Registry::new();
/// let hits = registry
///     .register(Desc::new("hits_total", "Hits."), Sparse::new(Counter::<bool>::new()))
///     .unwrap();
/// hits.with(true).inc();
/// assert_eq!(registry.snapshot().families[0].series.len(), 1);
/// ```
#[derive(Debug, Default)]
pub struct Sparse<M>(M);

impl<M> Sparse<M> {
    /// `family`, exposed sparsely.
    pub const fn new(family: M) -> Self {
        Sparse(family)
    }

    /// The wrapped family.
    pub fn into_inner(self) -> M {
        self.0
    }
}

impl<M> std::ops::Deref for Sparse<M> {
    type Target = M;

    fn deref(&self) -> &M {
        &self.0
    }
}

/// Whether a series' value is what it would be had nothing been recorded.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Counter(v) => *v == 0,
        Value::Gauge(v) => *v == 0,
        Value::CounterF64(v) | Value::GaugeF64(v) => *v == 0.0,
        Value::Histogram(h) | Value::Summary(h) => h.count() == 0,
    }
}

impl<M: Metric> Metric for Sparse<M> {
    fn kind(&self) -> MetricKind {
        self.0.kind()
    }

    fn labels(&self) -> &'static LabelDesc {
        self.0.labels()
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let mut collected = self.0.collect()?;
        collected.series.retain(|s| !is_empty(&s.value));
        Ok(collected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Counter, Gauge, Histogram};

    #[test]
    fn only_recorded_series_are_collected() {
        let counter = Sparse::new(Counter::<(bool, bool)>::new());
        counter.with((true, false)).add(2);
        let c = counter.collect().unwrap();
        assert_eq!(c.series.len(), 1);
        assert_eq!(c.series[0].index, (true, false).index_of());

        let gauge = Sparse::new(Gauge::<bool>::new());
        assert!(gauge.collect().unwrap().series.is_empty());
        gauge.with(false).set(-1);
        assert_eq!(gauge.collect().unwrap().series.len(), 1);

        let histogram = Sparse::new(Histogram::<bool>::new());
        histogram.with(true).record(5);
        assert_eq!(histogram.collect().unwrap().series.len(), 1);
    }

    trait IndexOf {
        fn index_of(self) -> usize;
    }

    impl<L: crate::LabelSet> IndexOf for L {
        fn index_of(self) -> usize {
            self.index()
        }
    }
}
