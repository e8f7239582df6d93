//! A [`metrics`] 0.24 recorder that feeds a tally [`Registry`]: third-party
//! crates' `counter!`, `gauge!` and `histogram!` land next to the
//! application's own families, with tally's bounds.
//!
//! - Each metric name becomes one family, registered (and so validated)
//!   on first use. Its label keys are fixed by that first use.
//! - Cardinality is capped per name (`max_series`, default 256): each
//!   label's values are a runtime-bounded label, and a label set past the
//!   cap goes to one overflow series whose labels are all `__overflow__`,
//!   counted (per registration, i.e. per macro call that resolved there)
//!   in `tally_metrics_recorder_series_overflow_total{metric}`; a label
//!   value refused by its table is also counted in
//!   `tally_label_overflow_total{label,reason}`.
//! - Invalid names and label keys, a name reused with another kind or
//!   other label keys, and names the registry refuses are dropped (the
//!   handle is a no-op) and counted in
//!   `tally_metrics_recorder_dropped_total{reason}`.
//! - Histograms are tally HDR histograms; `metrics` records `f64`, in
//!   seconds by convention (`HistogramConfig::seconds()`, 1 ns .. 1 h),
//!   or as plain numbers when described with `Unit::Bytes`/`Count`.
//!
//! ```
//! let registry: &'static tally_core::Registry = Box::leak(Box::default());
//! let recorder = tally_export::TallyRecorder::new(registry);
//! metrics::with_local_recorder(&recorder, || {
//!     metrics::counter!("jobs_total", "queue" => "mail").increment(3);
//! });
//! let snapshot = registry.snapshot();
//! let jobs = snapshot.families.iter().find(|f| f.name == "jobs").unwrap();
//! assert_eq!(jobs.series[0].value.as_f64(), Some(3.0));
//! ```

mod family;
mod telemetry;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, SharedString, Unit};
use tally_core::{MetricKind, Registry};

use family::{Family, FamilySpec};
use telemetry::{Dropped, Telemetry};

/// The default per-name series cap.
pub const DEFAULT_MAX_SERIES: usize = 256;

/// Why installing the recorder failed.
#[derive(Debug, thiserror::Error)]
pub enum RecorderError {
    /// Another `metrics` recorder is installed already.
    #[error("a global `metrics` recorder is already installed")]
    AlreadyInstalled,
    /// `max_series` was 0.
    #[error("max_series must be at least 1")]
    ZeroMaxSeries,
}

/// A `metrics` recorder writing into a tally [`Registry`].
pub struct TallyRecorder {
    registry: &'static Registry,
    max_series: usize,
    families: RwLock<HashMap<String, Result<Arc<Family>, Dropped>>>,
    described: RwLock<HashMap<String, (Option<Unit>, String)>>,
    telemetry: Arc<Telemetry>,
}

impl TallyRecorder {
    /// A recorder into `registry` with the default per-name series cap.
    pub fn new(registry: &'static Registry) -> Self {
        let telemetry = Arc::new(Telemetry::new());
        // Taken already: the families stay readable through `dropped()`.
        let _ = registry.register_collector(telemetry.clone());
        TallyRecorder {
            registry,
            max_series: DEFAULT_MAX_SERIES,
            families: RwLock::default(),
            described: RwLock::default(),
            telemetry,
        }
    }

    /// Caps every name at `max_series` label sets (plus the overflow
    /// series); `Err` for 0.
    pub fn max_series(mut self, max_series: usize) -> Result<Self, RecorderError> {
        if max_series == 0 {
            return Err(RecorderError::ZeroMaxSeries);
        }
        self.max_series = max_series;
        Ok(self)
    }

    /// Installs the recorder process-wide (`metrics::set_global_recorder`).
    pub fn install(self) -> Result<(), RecorderError> {
        metrics::set_global_recorder(self).map_err(|_| RecorderError::AlreadyInstalled)
    }

    /// How many registrations were dropped for `reason`, since start.
    pub fn dropped(&self, reason: Dropped) -> u64 {
        self.telemetry.dropped(reason)
    }

    fn describe(&self, key: KeyName, unit: Option<Unit>, help: SharedString) {
        let mut described = self.described.write().unwrap_or_else(|e| e.into_inner());
        described.insert(key.as_str().to_owned(), (unit, help.to_string()));
        if let Some(Ok(family)) = self
            .families
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key.as_str())
        {
            family.set_help(help.to_string());
        }
    }

    /// The family of `key`'s name, created and registered on first use;
    /// `None` (counted) when the name is dropped.
    fn family(&self, key: &Key, kind: MetricKind) -> Option<Arc<Family>> {
        let name = key.name();
        let found = self
            .families
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned();
        let family = match found {
            Some(family) => family,
            None => {
                let mut families = self.families.write().unwrap_or_else(|e| e.into_inner());
                families
                    .entry(name.to_owned())
                    .or_insert_with(|| self.create(key, kind))
                    .clone()
            }
        };
        match family {
            Err(reason) => {
                self.telemetry.drop_one(reason);
                None
            }
            Ok(f) if f.kind() != kind => {
                self.telemetry.drop_one(Dropped::KindConflict);
                None
            }
            Ok(f) => Some(f),
        }
    }

    /// A new family, registered; or why it is dropped (every later
    /// registration of the name is dropped for the same reason).
    fn create(&self, key: &Key, kind: MetricKind) -> Result<Arc<Family>, Dropped> {
        let (unit, help) = self
            .described
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key.name())
            .cloned()
            .unwrap_or_default();
        let spec = FamilySpec {
            name: key.name(),
            kind,
            unit,
            help,
            label_keys: key.labels().map(|l| l.key()).collect(),
            max_series: self.max_series,
        };
        let family = Arc::new(Family::new(spec, self.telemetry.clone())?);
        self.registry
            .register_collector(family.clone())
            .map_err(|_| Dropped::Refused)?;
        Ok(family)
    }
}

impl std::fmt::Debug for TallyRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TallyRecorder")
            .field("max_series", &self.max_series)
            .finish()
    }
}

impl metrics::Recorder for TallyRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(key, unit, description)
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(key, unit, description)
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(key, unit, description)
    }

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        match self
            .family(key, MetricKind::Counter)
            .and_then(|f| f.series(key))
        {
            Some(cell) => Counter::from_arc(cell),
            None => Counter::noop(),
        }
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        match self
            .family(key, MetricKind::Gauge)
            .and_then(|f| f.series(key))
        {
            Some(cell) => Gauge::from_arc(cell),
            None => Gauge::noop(),
        }
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        match self
            .family(key, MetricKind::Histogram)
            .and_then(|f| f.series(key))
        {
            Some(cell) => Histogram::from_arc(cell),
            None => Histogram::noop(),
        }
    }
}

pub use telemetry::Dropped as DroppedReason;
