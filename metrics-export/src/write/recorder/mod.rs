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
//! - Names are capped too (`max_names`, default 1024): a name first seen
//!   when that many families exist is dropped (`too_many_names`). With `k`
//!   label keys, each key admits at most
//!   `min(max_series, ⌊2^(64/k)⌋ − 1)` distinct values (so the mixed-radix
//!   index of a label set fits a `u64` whatever `k`: 8, 16 or more keys
//!   work, with fewer values per key as keys grow); the series cap stays
//!   `max_series`.
//! - Invalid names and label keys, a name reused with another kind or
//!   other label keys, and names the registry refuses are dropped (the
//!   handle is a no-op) and counted in
//!   `tally_metrics_recorder_dropped_total{reason}`. Refused names are
//!   remembered (so a hot loop does not re-validate them) up to
//!   `max_refused` (default 1024); past that they are validated again on
//!   every registration, and still counted, but never stored.
//! - So everything the recorder keeps is bounded: at most `max_names`
//!   families of at most `max_series + 1` series and `max_refused` refused
//!   names. By default nothing is ever removed.
//! - Idle expiry is opt-in ([`TallyRecorder::idle_timeout`], as
//!   metrics-exporter-prometheus offers). A series is removed only after
//!   an export read its last value (the export that saw its update count
//!   change read the value after that change) and the idle time has
//!   passed since that export, with no update or registration of it
//!   since; it is then no longer exposed and its storage is freed. A
//!   label value no series uses any more frees its slot for the next new
//!   value, so the `max_series` cap counts live series. A name left
//!   without series for the idle time is removed too, at the start of a
//!   scrape (when the registry reads `tally_metrics_recorder_expired_total`,
//!   registered before any family) or when a new name finds `max_names`
//!   families: it is no longer exposed (nor registered), its slot under
//!   `max_names` is free, and if used again it starts from zero, of any
//!   kind. Expired series and names are counted in
//!   `tally_metrics_recorder_expired_total{what="series"|"name"}` (shown
//!   from the scrape after the one that removed them).
//!   Writes through a `metrics` handle kept across its series' removal go
//!   to a detached cell and are lost (as with metrics-exporter-prometheus'
//!   `idle_timeout`): a handle kept for a long time should be written
//!   more often than the idle time, or registered again. The label
//!   descriptions of expiring families are shared per set of label keys,
//!   at most `max_names` of them; a new set past that is dropped
//!   (`too_many_key_sets`), so names that come and go for months keep
//!   memory flat. With expiry the handle path does one more atomic add
//!   (the update count), and a value refused by a full label is not
//!   counted in `tally_label_overflow_total` (the label is the family's
//!   own table, not a runtime-bounded label); the overflow series and its
//!   count are as without.
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

mod desc_pool;
mod expiry;
mod family;
mod idle_clock;
mod telemetry;
mod values;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, SharedString, Unit};
use tally_core::{MetricKind, Registry};

use desc_pool::DescPool;
use expiry::{Families, Sweeper};
use family::{Cell, Family, FamilySpec};
use idle_clock::Expiry;
use telemetry::{Dropped, Telemetry};

/// The default per-name series cap.
pub const DEFAULT_MAX_SERIES: usize = 256;

/// The default cap on names (families) the recorder creates.
pub const DEFAULT_MAX_NAMES: usize = 1024;

/// The default cap on refused names the recorder remembers.
pub const DEFAULT_MAX_REFUSED: usize = 1024;

/// Why installing the recorder failed.
#[derive(Debug, thiserror::Error)]
pub enum RecorderError {
    /// Another `metrics` recorder is installed already.
    #[error("a global `metrics` recorder is already installed")]
    AlreadyInstalled,
    /// `max_series` was 0.
    #[error("max_series must be at least 1")]
    ZeroMaxSeries,
    /// `max_names` was 0.
    #[error("max_names must be at least 1")]
    ZeroMaxNames,
    /// The idle timeout was 0.
    #[error("idle_timeout must be more than 0")]
    ZeroIdleTimeout,
}

/// A `metrics` recorder writing into a tally [`Registry`].
pub struct TallyRecorder {
    registry: &'static Registry,
    max_series: usize,
    max_names: usize,
    max_refused: usize,
    families: Arc<Families>,
    refused: RwLock<HashMap<String, Dropped>>,
    described: RwLock<HashMap<String, (Option<Unit>, String)>>,
    telemetry: Arc<Telemetry>,
    /// With an idle timeout: its clock, and the label descriptions of the
    /// families (at most `max_names`).
    expiry: Option<(Arc<Expiry>, DescPool)>,
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
            max_names: DEFAULT_MAX_NAMES,
            max_refused: DEFAULT_MAX_REFUSED,
            families: Arc::default(),
            refused: RwLock::default(),
            described: RwLock::default(),
            telemetry,
            expiry: None,
        }
    }

    /// Removes series and names idle for `idle` (default: nothing
    /// expires; `Err` for 0). A series is removed only after an export
    /// read its last value (the export that saw its update count change
    /// read the value after that change) and `idle` has passed since that
    /// export with no write or registration of it; a label value no
    /// series uses any more frees its slot; a name left without series
    /// for `idle` is removed and unregistered, freeing its place under
    /// `max_names`, and starts from zero if it comes back. Writes through
    /// a `metrics` handle kept across its series' removal are lost (as
    /// with metrics-exporter-prometheus' `idle_timeout`). Call it before
    /// the recorder is used: families created before keep their series.
    ///
    /// ```
    /// use std::time::Duration;
    /// let registry: &'static tally_core::Registry = Box::leak(Box::default());
    /// let recorder = tally_export::TallyRecorder::new(registry)
    ///     .idle_timeout(Duration::from_secs(600))
    ///     .unwrap();
    /// metrics::with_local_recorder(&recorder, || {
    ///     metrics::counter!("jobs_total", "queue" => "mail").increment(1);
    /// });
    /// assert!(tally_export::TallyRecorder::new(registry)
    ///     .idle_timeout(Duration::ZERO)
    ///     .is_err());
    /// ```
    pub fn idle_timeout(mut self, idle: Duration) -> Result<Self, RecorderError> {
        if idle.is_zero() {
            return Err(RecorderError::ZeroIdleTimeout);
        }
        if let Some((expiry, _)) = &self.expiry {
            expiry.set_timeout(idle);
            return Ok(self);
        }
        let expiry = Arc::new(Expiry::new(idle));
        let sweeper = Sweeper::new(
            Arc::downgrade(&self.families),
            self.registry,
            expiry.clone(),
            self.telemetry.clone(),
        );
        // Taken already (another recorder with an idle timeout in this
        // registry): series still expire, and names when a new name finds
        // `max_names` families; the counts stay readable through
        // `expired()`.
        let _ = self.registry.register_collector(Arc::new(sweeper));
        self.expiry = Some((expiry, DescPool::default()));
        Ok(self)
    }

    /// How many series or names the idle timeout removed, since start.
    pub fn expired(&self, what: ExpiredWhat) -> u64 {
        self.telemetry.expired(what)
    }

    /// Moves the idle timeout's clock forward by `by`, for tests that
    /// would otherwise sleep; nothing without an idle timeout.
    #[doc(hidden)]
    pub fn advance_clock(&self, by: Duration) {
        if let Some((expiry, _)) = &self.expiry {
            expiry.advance(by);
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

    /// Caps the names (families) the recorder creates at `max_names`
    /// (default [`DEFAULT_MAX_NAMES`]); a new name past it is dropped,
    /// counted as [`Dropped::TooManyNames`]. `Err` for 0.
    pub fn max_names(mut self, max_names: usize) -> Result<Self, RecorderError> {
        if max_names == 0 {
            return Err(RecorderError::ZeroMaxNames);
        }
        self.max_names = max_names;
        Ok(self)
    }

    /// Caps how many refused names are remembered (default
    /// [`DEFAULT_MAX_REFUSED`]; 0 remembers none). Past it, refused names
    /// are checked again on each registration, still dropped and counted.
    pub fn max_refused(mut self, max_refused: usize) -> Self {
        self.max_refused = max_refused;
        self
    }

    /// How many families (names) the recorder holds now (created, less
    /// those removed by the idle timeout).
    pub fn names(&self) -> usize {
        self.families
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// How many refused names the recorder remembers now (at most
    /// `max_refused`).
    pub fn refused_names(&self) -> usize {
        self.refused.read().unwrap_or_else(|e| e.into_inner()).len()
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
        // Bounded like the names: descriptions past the cap are dropped.
        if described.len() < self.max_names || described.contains_key(key.as_str()) {
            described.insert(key.as_str().to_owned(), (unit, help.to_string()));
        }
        // Released first: a registration holds the families' lock while it
        // reads the descriptions.
        drop(described);
        if let Some(family) = self
            .families
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key.as_str())
        {
            family.set_help(help.to_string());
        }
    }

    /// The series of `key` in the family of its name, both created (and
    /// the family registered) on first use; `None` (counted) when the
    /// name or the label set is dropped. The series is taken while the
    /// family map is locked, so a sweep never removes the family of a
    /// series being handed out.
    fn series(&self, key: &Key, kind: MetricKind) -> Option<Arc<Cell>> {
        let name = key.name();
        {
            let families = self.families.read().unwrap_or_else(|e| e.into_inner());
            if let Some(family) = families.get(name) {
                return self.of_kind(family, kind)?.series(key);
            }
        }
        if let Some(reason) = self
            .refused
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
        {
            self.telemetry.drop_one(*reason);
            return None;
        }
        let mut families = self.families.write().unwrap_or_else(|e| e.into_inner());
        if let Some(family) = families.get(name) {
            return self.of_kind(family, kind)?.series(key);
        }
        if families.len() >= self.max_names {
            if let Some((expiry, _)) = &self.expiry {
                expiry::sweep(&mut families, self.registry, expiry, &self.telemetry);
            }
        }
        let created = if families.len() >= self.max_names {
            // An invalid name is counted as such, full or not.
            match tally_core::name::check_metric_name(name) {
                Ok(()) => Err(Dropped::TooManyNames),
                Err(_) => Err(Dropped::InvalidName),
            }
        } else {
            self.create(key, kind)
        };
        match created {
            Ok(family) => {
                families.insert(name.to_owned(), family.clone());
                family.series(key)
            }
            // Not remembered: a name may fit once names expire or the
            // cap is raised, and remembering would grow with the flood.
            Err(reason @ (Dropped::TooManyNames | Dropped::TooManyKeySets)) => {
                self.telemetry.drop_one(reason);
                None
            }
            Err(reason) => {
                drop(families);
                self.telemetry.drop_one(reason);
                let mut refused = self.refused.write().unwrap_or_else(|e| e.into_inner());
                if refused.len() < self.max_refused {
                    refused.insert(name.to_owned(), reason);
                }
                None
            }
        }
    }

    /// `family` if it is of `kind`; `None`, counted, if not.
    fn of_kind<'f>(&self, family: &'f Family, kind: MetricKind) -> Option<&'f Family> {
        if family.kind() == kind {
            Some(family)
        } else {
            self.telemetry.drop_one(Dropped::KindConflict);
            None
        }
    }

    /// A new family, registered; or why it is dropped (every later
    /// registration of the name is dropped for the same reason, except
    /// `TooManyKeySets`).
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
            expiry: self
                .expiry
                .as_ref()
                .map(|(expiry, pool)| (expiry.clone(), pool, self.max_names)),
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
            .field("max_names", &self.max_names)
            .field("max_refused", &self.max_refused)
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
        match self.series(key, MetricKind::Counter) {
            Some(cell) => Counter::from_arc(cell),
            None => Counter::noop(),
        }
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        match self.series(key, MetricKind::Gauge) {
            Some(cell) => Gauge::from_arc(cell),
            None => Gauge::noop(),
        }
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        match self.series(key, MetricKind::Histogram) {
            Some(cell) => Histogram::from_arc(cell),
            None => Histogram::noop(),
        }
    }
}

pub use telemetry::Dropped as DroppedReason;
pub use telemetry::Expired as ExpiredWhat;
