//! The registry: the families a process exposes, walked by exporters.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock, RwLock};

use crate::desc::{join_name, Desc, MetricKind, Unit};
#[cfg(not(tally_loom))]
use crate::dynamic_label::telemetry::OverflowTelemetry;
use crate::error::RegistryError;
use crate::metric::{Collector, Described, Metric};
use crate::name;
use crate::snapshot::{FamilySnapshot, RegistrySnapshot};

/// A set of metric families with unique exposed names, an optional name
/// prefix and constant labels (e.g. `service="api"`) added to every series.
///
/// Registration validates names and labels and refuses conflicts with an
/// `Err`; a collector's families are registered all or none.
/// [`snapshot`](Self::snapshot) reads every family without blocking
/// writers or registrations.
///
/// ```
/// use metrics_core::{Counter, Desc, Registry};
/// let registry = Registry::builder().prefix("app").const_label("service", "api").build().unwrap();
/// let hits = registry.register(Desc::new("hits", "Cache hits."), Counter::<()>::new()).unwrap();
/// hits.inc();
/// assert!(registry.register(Desc::new("hits", "Again."), Counter::<()>::new()).is_err());
/// assert_eq!(registry.snapshot().families[0].name, "app_hits");
/// ```
pub struct Registry {
    prefix: String,
    const_labels: Arc<[(String, String)]>,
    state: RwLock<State>,
    failed_computed: AtomicU64,
    /// The overflow family of runtime-bounded labels, registered with the
    /// first family that uses one.
    #[cfg(not(tally_loom))]
    overflow: OnceLock<Arc<OverflowTelemetry>>,
}

#[derive(Default)]
struct State {
    collectors: Vec<Arc<dyn Collector>>,
    names: HashSet<String>,
}

impl Registry {
    /// An empty registry with no prefix and no constant labels.
    pub fn new() -> Self {
        Registry {
            prefix: String::new(),
            const_labels: Arc::from([]),
            state: RwLock::default(),
            failed_computed: AtomicU64::new(0),
            #[cfg(not(tally_loom))]
            overflow: OnceLock::new(),
        }
    }

    /// A builder for a registry with a prefix or constant labels.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// The process-wide registry (no prefix, no constant labels), which
    /// derived stats structs' `global()` register into.
    pub fn global() -> &'static Registry {
        static GLOBAL: OnceLock<Registry> = OnceLock::new();
        GLOBAL.get_or_init(Registry::new)
    }

    /// The prefix put before every family name (may be empty).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Registers one family under `desc` and returns it, shared.
    pub fn register<M: Metric + 'static>(
        &self,
        desc: Desc,
        metric: M,
    ) -> Result<Arc<M>, RegistryError> {
        let metric = Arc::new(metric);
        self.register_collector(Arc::new(Described::new(desc, metric.clone())))?;
        Ok(metric)
    }

    /// Registers every family of `collector`, or none of them if any is
    /// invalid or its name is taken.
    pub fn register_collector(&self, collector: Arc<dyn Collector>) -> Result<(), RegistryError> {
        self.add_collector(collector.clone())?;
        #[cfg(not(tally_loom))]
        self.track_dynamic_labels(&*collector);
        Ok(())
    }

    /// Registers the runtime-bounded labels of `collector`'s families
    /// with the overflow family, registering it on first use.
    #[cfg(not(tally_loom))]
    fn track_dynamic_labels(&self, collector: &dyn Collector) {
        let mut tables = Vec::new();
        collector.for_each_family(&mut |_, metric| {
            tables.extend(metric.labels().dynamic.iter().flatten().copied())
        });
        if tables.is_empty() {
            return;
        }
        let overflow = self.overflow.get_or_init(|| {
            let overflow = Arc::new(OverflowTelemetry::new());
            // If the application took the name (or a constant label is
            // called `label` or `reason`), its families win; the counts
            // stay readable from each label's table.
            let _ = self.add_collector(overflow.clone());
            overflow
        });
        for table in tables {
            overflow.track(table);
        }
    }

    /// Registers every family of `collector`, all or none.
    fn add_collector(&self, collector: Arc<dyn Collector>) -> Result<(), RegistryError> {
        let mut names = Vec::new();
        let mut result = Ok(());
        collector.for_each_family(&mut |desc, metric| {
            if result.is_ok() {
                result = self.check_family(desc, metric).map(|name| names.push(name));
            }
        });
        result?;
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let mut seen = HashSet::new();
        for name in &names {
            if state.names.contains(name) || !seen.insert(name) {
                return Err(RegistryError::Duplicate { name: name.clone() });
            }
        }
        state.names.extend(names);
        state.collectors.push(collector);
        Ok(())
    }

    /// Validates one family and returns its exposed name.
    fn check_family(&self, desc: &Desc, metric: &dyn Metric) -> Result<String, RegistryError> {
        let name = self.exposed_name(desc, metric.kind());
        name::check_metric_name(&name).map_err(|reason| RegistryError::InvalidName {
            name: name.clone(),
            reason,
        })?;
        // Counters and info families are exposed with their own suffix
        // (`_total`, `_info`) after the name, so theirs is never reserved.
        if !matches!(metric.kind(), MetricKind::Counter | MetricKind::Info) {
            if let Some(suffix) = name::reserved_suffix(&name) {
                return Err(RegistryError::ReservedSuffix { name, suffix });
            }
        }
        if let Some(unit) = desc.unit {
            check_unit(&name, unit)?;
        }
        let mut labels: HashSet<&str> = self.const_labels.iter().map(|(k, _)| k.as_str()).collect();
        for label in metric.labels().names {
            name::check_label_name(label).map_err(|reason| RegistryError::InvalidLabel {
                name: name.clone(),
                label: label.to_string(),
                reason,
            })?;
            if !labels.insert(label) {
                return Err(RegistryError::DuplicateLabel {
                    name,
                    label: label.to_string(),
                });
            }
        }
        Ok(name)
    }

    /// `prefix_name_unit`, without a counter's `_total` or an info
    /// family's `_info`.
    fn exposed_name(&self, desc: &Desc, kind: MetricKind) -> String {
        let mut name = join_name(&self.prefix, &desc.name);
        let suffix = match kind {
            MetricKind::Counter => "_total",
            MetricKind::Info => "_info",
            _ => "",
        };
        if !suffix.is_empty() && name.len() > suffix.len() && name.ends_with(suffix) {
            name.truncate(name.len() - suffix.len());
        }
        if let Some(unit) = desc.unit {
            let suffix = unit.as_str();
            if !name.strip_suffix(suffix).is_some_and(|n| n.ends_with('_')) {
                name = join_name(&name, suffix);
            }
        }
        name
    }

    /// Reads every family. Writers are never blocked; a computed metric
    /// whose closure panics is left out and counted.
    pub fn snapshot(&self) -> RegistrySnapshot {
        let collectors = self
            .state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .collectors
            .clone();
        let mut families = Vec::new();
        let mut failed = 0;
        for collector in &collectors {
            collector.for_each_family(&mut |desc, metric| match metric.collect() {
                Ok(mut collected) => {
                    let labels = metric.labels();
                    // Runtime-bounded labels: only admitted values' series
                    // (and the overflow series once used) are exposed.
                    if labels.has_dynamic() {
                        collected.series.retain(|s| labels.is_present(s.index));
                    }
                    families.push(FamilySnapshot {
                        name: self.exposed_name(desc, metric.kind()),
                        help: desc.help.clone(),
                        unit: desc.unit,
                        kind: metric.kind(),
                        labels,
                        series: collected.series,
                        clamped: collected.clamped,
                    })
                }
                Err(_) => failed += 1,
            });
        }
        self.failed_computed.fetch_add(failed, Relaxed);
        RegistrySnapshot {
            families,
            const_labels: self.const_labels.clone(),
            failed_computed: failed,
        }
    }

    /// Computed metrics that failed (panicked) in any snapshot, since start.
    pub fn failed_computed(&self) -> u64 {
        self.failed_computed.load(Relaxed)
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

fn check_unit(name: &str, unit: Unit) -> Result<(), RegistryError> {
    let invalid = |reason: String| RegistryError::InvalidUnit {
        name: name.to_owned(),
        unit: unit.as_str(),
        reason,
    };
    let s = unit.as_str();
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(invalid(
            "a unit is lowercase ASCII letters, digits and `_`".into(),
        ));
    }
    if let Some(base) = name::non_base_unit(s) {
        return Err(invalid(format!("use the base unit `{base}` instead")));
    }
    Ok(())
}

/// Builds a [`Registry`] with a prefix and constant labels.
#[derive(Default)]
pub struct RegistryBuilder {
    prefix: String,
    const_labels: Vec<(String, String)>,
}

impl RegistryBuilder {
    /// Prefix every family name with `prefix_`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Add `name="value"` to every series.
    pub fn const_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.const_labels.push((name.into(), value.into()));
        self
    }

    /// The registry, or why the prefix or a constant label is invalid.
    pub fn build(self) -> Result<Registry, RegistryError> {
        if !self.prefix.is_empty() {
            name::check_metric_name(&self.prefix).map_err(|reason| RegistryError::InvalidName {
                name: self.prefix.clone(),
                reason,
            })?;
        }
        let mut seen = HashSet::new();
        for (label, _) in &self.const_labels {
            name::check_label_name(label).map_err(|reason| RegistryError::InvalidLabel {
                name: String::new(),
                label: label.clone(),
                reason,
            })?;
            if !seen.insert(label) {
                return Err(RegistryError::DuplicateLabel {
                    name: String::new(),
                    label: label.clone(),
                });
            }
        }
        Ok(Registry {
            prefix: self.prefix,
            const_labels: self.const_labels.into(),
            ..Registry::new()
        })
    }
}
