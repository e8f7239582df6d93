//! Tokio runtime metrics, read from a runtime's stable
//! [`RuntimeMetrics`](tokio::runtime::RuntimeMetrics) at every scrape
//! (feature `tokio`). Names: tokio's own `RuntimeMetrics` method names
//! with a `tokio_` prefix (as the `tokio-metrics` crate names its
//! fields), shaped to Prometheus' conventions: counters end in `_total`,
//! durations are in seconds, per-worker values carry a `worker` label.
//!
//! | family | kind | `RuntimeMetrics` |
//! |---|---|---|
//! | `tokio_workers` | gauge | `num_workers()` |
//! | `tokio_alive_tasks` | gauge | `num_alive_tasks()` |
//! | `tokio_global_queue_depth` | gauge | `global_queue_depth()` |
//! | `tokio_worker_busy_duration_seconds_total{worker}` | counter | `worker_total_busy_duration(w)` |
//! | `tokio_worker_park_total{worker}` | counter | `worker_park_count(w)` |
//! | `tokio_worker_park_unpark_total{worker}` | counter | `worker_park_unpark_count(w)` |
//!
//! (the per-worker counters on targets with 64-bit atomics, as tokio
//! provides them). Unstable metrics (`tokio_unstable`) are left out.

use std::sync::Arc;

use tally_core::{
    CollectError, Collected, Collector, Desc, LabelDesc, LabelSet, Metric, MetricKind, Registry,
    RegistryError, Series, Unit, Value,
};
use tokio::runtime::Handle;

/// The metrics of one tokio runtime, read at scrape time.
#[derive(Debug)]
pub struct TokioCollector {
    handle: Handle,
    workers: &'static LabelDesc,
}

impl TokioCollector {
    /// The collector of the runtime `handle` belongs to.
    pub fn new(handle: Handle) -> TokioCollector {
        let n = handle.metrics().num_workers();
        let values: Vec<&'static str> = (0..n)
            .map(|w| &*Box::leak(w.to_string().into_boxed_str()))
            .collect();
        let workers = Box::leak(Box::new(LabelDesc {
            names: &["worker"],
            values: Box::leak(vec![&*Box::leak(values.into_boxed_slice())].into_boxed_slice()),
            dynamic: &[],
        }));
        TokioCollector { handle, workers }
    }
}

/// Registers the metrics of the runtime `handle` belongs to into
/// `registry`: `register_tokio_metrics(&registry, &Handle::current())`.
pub fn register_tokio_metrics(registry: &Registry, handle: &Handle) -> Result<(), RegistryError> {
    registry.register_collector(Arc::new(TokioCollector::new(handle.clone())))
}

const WORKERS: Desc = Desc::from_static("tokio_workers", "Worker threads of the runtime.", None);
const ALIVE: Desc = Desc::from_static("tokio_alive_tasks", "Tasks alive in the runtime.", None);
const QUEUE: Desc = Desc::from_static(
    "tokio_global_queue_depth",
    "Tasks in the runtime's global (injection) queue.",
    None,
);
#[cfg(target_has_atomic = "64")]
const BUSY: Desc = Desc::from_static(
    "tokio_worker_busy_duration",
    "Time each worker spent busy (not parked).",
    Some(Unit::SECONDS),
);
#[cfg(target_has_atomic = "64")]
const PARK: Desc = Desc::from_static("tokio_worker_park", "Times each worker parked.", None);
#[cfg(target_has_atomic = "64")]
const PARK_UNPARK: Desc = Desc::from_static(
    "tokio_worker_park_unpark",
    "Times each worker parked or unparked.",
    None,
);

/// One family: how to read it.
struct Read<'a> {
    collector: &'a TokioCollector,
    which: Which,
}

#[derive(Clone, Copy)]
enum Which {
    Workers,
    Alive,
    Queue,
    #[cfg(target_has_atomic = "64")]
    Busy,
    #[cfg(target_has_atomic = "64")]
    Park,
    #[cfg(target_has_atomic = "64")]
    ParkUnpark,
}

impl Collector for TokioCollector {
    fn for_each_family(&self, visit: &mut dyn FnMut(&Desc, &dyn Metric)) {
        let read = |which| Read {
            collector: self,
            which,
        };
        visit(&WORKERS, &read(Which::Workers));
        visit(&ALIVE, &read(Which::Alive));
        visit(&QUEUE, &read(Which::Queue));
        #[cfg(target_has_atomic = "64")]
        {
            visit(&BUSY, &read(Which::Busy));
            visit(&PARK, &read(Which::Park));
            visit(&PARK_UNPARK, &read(Which::ParkUnpark));
        }
    }
}

impl Metric for Read<'_> {
    fn kind(&self) -> MetricKind {
        match self.which {
            Which::Workers | Which::Alive | Which::Queue => MetricKind::Gauge,
            #[cfg(target_has_atomic = "64")]
            _ => MetricKind::Counter,
        }
    }

    fn labels(&self) -> &'static LabelDesc {
        match self.which {
            Which::Workers | Which::Alive | Which::Queue => <() as LabelSet>::DESC,
            #[cfg(target_has_atomic = "64")]
            _ => self.collector.workers,
        }
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let m = self.collector.handle.metrics();
        let gauge = |v: usize| vec![Series::new(0, Value::Gauge(v as i64))];
        let series = match self.which {
            Which::Workers => gauge(m.num_workers()),
            Which::Alive => gauge(m.num_alive_tasks()),
            Which::Queue => gauge(m.global_queue_depth()),
            #[cfg(target_has_atomic = "64")]
            Which::Busy => (0..self.collector.workers.values[0].len())
                .map(|w| {
                    Series::new(
                        w,
                        Value::CounterF64(m.worker_total_busy_duration(w).as_secs_f64()),
                    )
                })
                .collect(),
            #[cfg(target_has_atomic = "64")]
            Which::Park => (0..self.collector.workers.values[0].len())
                .map(|w| Series::new(w, Value::Counter(m.worker_park_count(w))))
                .collect(),
            #[cfg(target_has_atomic = "64")]
            Which::ParkUnpark => (0..self.collector.workers.values[0].len())
                .map(|w| Series::new(w, Value::Counter(m.worker_park_unpark_count(w))))
                .collect(),
        };
        Ok(Collected {
            series,
            clamped: 0,
            ..Default::default()
        })
    }
}
