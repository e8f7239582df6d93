//! Metrics evaluated when read: a closure instead of a cell, like Go's
//! `expvar.Func` or Prometheus' `GaugeFunc` / `CounterFunc`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::desc::MetricKind;
use crate::label::{LabelDesc, LabelSet};
use crate::metric::{CollectError, Collected, Metric};
use crate::snapshot::{Series, Value};

/// A gauge or counter whose value a closure computes at every scrape
/// (open file descriptors, cache size, uptime, ...).
///
/// A closure that panics is caught: its family is left out of that
/// snapshot and counted in
/// [`RegistrySnapshot::failed_computed`](crate::RegistrySnapshot::failed_computed);
/// nothing is poisoned and the next scrape calls it again.
///
/// ```
/// use tally_core::{Computed, Desc, Registry};
/// let registry = Registry::new();
/// registry.register(Desc::new("answer", "Computed on read."), Computed::gauge(|| 42.0)).unwrap();
/// ```
pub struct Computed {
    kind: MetricKind,
    f: Box<dyn Fn() -> f64 + Send + Sync>,
}

impl Computed {
    /// A gauge whose value is `f()` at read time.
    pub fn gauge(f: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        Computed {
            kind: MetricKind::Gauge,
            f: Box::new(f),
        }
    }

    /// A counter whose total is `f()` at read time; `f` must never
    /// decrease.
    pub fn counter(f: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        Computed {
            kind: MetricKind::Counter,
            f: Box::new(f),
        }
    }

    /// Reads the value: calls the closure, catching a panic.
    pub fn get(&self) -> Result<f64, CollectError> {
        catch_unwind(AssertUnwindSafe(|| (self.f)())).map_err(|payload| {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_owned());
            CollectError::Panicked(message)
        })
    }

    /// Old name of [`get`](Self::get).
    #[deprecated(since = "0.1.0", note = "use `get`")]
    pub fn value(&self) -> Result<f64, CollectError> {
        self.get()
    }
}

impl std::fmt::Debug for Computed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Computed")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Metric for Computed {
    fn kind(&self) -> MetricKind {
        self.kind
    }

    fn labels(&self) -> &'static LabelDesc {
        <() as LabelSet>::DESC
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let v = self.get()?;
        let value = match self.kind {
            MetricKind::Counter => Value::CounterF64(v),
            _ => Value::GaugeF64(v),
        };
        Ok(Collected {
            series: vec![Series::new(0, value)],
            clamped: 0,
            ..Default::default()
        })
    }
}
