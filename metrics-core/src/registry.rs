//! The registry: the families a process exposes, walked by exporters.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock, RwLock};

use crate::desc::{Desc, MetricKind};
#[cfg(not(tally_loom))]
use crate::dynamic_label::telemetry::OverflowTelemetry;
use crate::error::RegistryError;
use crate::instrument::FamilyObjective;
use crate::label::LabelDesc;
use crate::metric::{Collector, Described, Metric};
use crate::name;
use crate::snapshot::{FamilySnapshot, RegistrySnapshot, ValueNames};

/// A set of metric families with unique exposed names, an optional name
/// prefix and constant labels (e.g. `service="api"`) added to every series.
///
/// Registration validates names and labels and refuses conflicts with an
/// `Err`; a collector's families are registered all or none.
/// [`snapshot`](Self::snapshot) reads every family without blocking
/// writers or registrations.
///
/// ```
/// use tally_core::{Counter, Desc, Registry};
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

    /// The process-wide registry, which derived stats structs' `global()`
    /// register into: the one [`RegistryBuilder::build_global`] set up at
    /// startup, or, if nothing did before first use, one with no prefix
    /// and no constant labels.
    pub fn global() -> &'static Registry {
        GLOBAL.get_or_init(Registry::new)
    }

    /// Registers every family of `collector` (a library's derived stats,
    /// possibly shared as an `Arc<Stats>`) with `prefix_` before its
    /// names, all or none, as [`register_collector`](Self::register_collector)
    /// does. `Err` if the prefix is not a valid name part.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tally_core::{Collector, Counter, Desc, Described, Registry};
    /// let registry = Registry::builder().prefix("app").build().unwrap();
    /// let library: Arc<dyn Collector> = Arc::new(Described::new(
    ///     Desc::new("hits_total", "Hits."),
    ///     Arc::new(Counter::<()>::new()),
    /// ));
    /// registry.register_with_prefix("cache", library).unwrap();
    /// assert_eq!(registry.snapshot().families[0].name, "app_cache_hits");
    /// ```
    pub fn register_with_prefix(
        &self,
        prefix: &str,
        collector: Arc<dyn Collector>,
    ) -> Result<(), RegistryError> {
        name::check_metric_name(prefix).map_err(|reason| RegistryError::InvalidName {
            name: prefix.to_owned(),
            reason,
        })?;
        self.register_collector(Arc::new(Prefixed {
            prefix: prefix.to_owned(),
            inner: collector,
        }))
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
        if let Some(suffix) = name::reserved_suffix(metric.kind(), &name) {
            return Err(RegistryError::ReservedSuffix { name, suffix });
        }
        if let Some(unit) = desc.unit {
            name::check_unit(unit.as_str()).map_err(|e| RegistryError::InvalidUnit {
                name: name.clone(),
                unit: unit.as_str(),
                reason: e.to_string(),
            })?;
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
        let prefix = if desc.standard { "" } else { &self.prefix };
        name::exposed_name(prefix, &desc.name, kind, desc.unit.map(|u| u.as_str()))
    }

    /// Removes `collector` (the same `Arc` that was registered, compared
    /// by address) and frees its families' names: they can be registered
    /// again. Snapshots taken after it returns no longer read it; one
    /// already under way may still. `false` if it was not registered
    /// here. A runtime-bounded label of its families stays listed in
    /// `tally_label_overflow_total` if it overflowed.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tally_core::{Collector, Counter, Desc, Described, Registry};
    /// let registry = Registry::new();
    /// let hits: Arc<dyn Collector> = Arc::new(Described::new(
    ///     Desc::new("hits", "Hits."),
    ///     Arc::new(Counter::<()>::new()),
    /// ));
    /// registry.register_collector(hits.clone()).unwrap();
    /// assert!(registry.unregister(&hits));
    /// assert!(registry.snapshot().families.is_empty());
    /// registry.register_collector(hits.clone()).unwrap();
    /// ```
    pub fn unregister(&self, collector: &Arc<dyn Collector>) -> bool {
        let mut names = Vec::new();
        collector.for_each_family(&mut |desc, metric| {
            names.push(self.exposed_name(desc, metric.kind()))
        });
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        // By data address: the vtable part of a `dyn` pointer may differ
        // between codegen units for the same object.
        let target = Arc::as_ptr(collector) as *const ();
        let Some(at) = state
            .collectors
            .iter()
            .position(|c| Arc::as_ptr(c) as *const () == target)
        else {
            return false;
        };
        state.collectors.remove(at);
        for name in &names {
            state.names.remove(name);
        }
        true
    }

    /// The objectives declared on the registered families
    /// (`#[metric(objective(...))]`), in registration order, for the rule
    /// and dashboard generators.
    pub fn objectives(&self) -> Vec<FamilyObjective> {
        let collectors = self
            .state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .collectors
            .clone();
        let mut out = Vec::new();
        for collector in collectors {
            collector.for_each_family(&mut |desc, metric| {
                if let Some(objective) = desc.objective {
                    out.push(FamilyObjective {
                        family: self.exposed_name(desc, metric.kind()),
                        kind: metric.kind(),
                        labels: metric.labels(),
                        objective,
                    });
                }
            });
        }
        out
    }

    /// Reads every family. Writers are never blocked; a computed metric
    /// whose closure panics is left out and counted.
    pub fn snapshot(&self) -> RegistrySnapshot {
        let mut families = Vec::new();
        let failed = self.collect_each(|family| families.push(family));
        RegistrySnapshot {
            families,
            const_labels: self.const_labels.clone(),
            failed_computed: failed,
        }
    }

    /// Reads the families one at a time, in registration order: `visit`
    /// gets a snapshot holding one family (its `failed_computed` counts
    /// the computed metrics that failed so far in this pass), which is
    /// dropped before the next family is read. What [`snapshot`](Self::snapshot)
    /// followed by an encoding does, without holding every family's
    /// series at once: a scrape of a million series stays in cache (and
    /// its memory stays that of one family) while it walks the registry.
    pub fn snapshot_each(&self, mut visit: impl FnMut(&RegistrySnapshot)) {
        let mut one = RegistrySnapshot {
            families: Vec::with_capacity(1),
            const_labels: self.const_labels.clone(),
            failed_computed: 0,
        };
        let failed = std::cell::Cell::new(0);
        self.collect_each_counting(&failed, |family| {
            one.families.push(family);
            one.failed_computed = failed.get();
            visit(&one);
            one.families.clear();
        });
    }

    /// Collects every family into `visit`; returns how many computed
    /// metrics failed.
    fn collect_each(&self, visit: impl FnMut(FamilySnapshot)) -> u64 {
        let failed = std::cell::Cell::new(0);
        self.collect_each_counting(&failed, visit);
        failed.get()
    }

    /// Collects every family into `visit`, counting the computed metrics
    /// that failed in `failed` (also in [`failed_computed`](Self::failed_computed)).
    fn collect_each_counting(
        &self,
        failed: &std::cell::Cell<u64>,
        mut visit: impl FnMut(FamilySnapshot),
    ) {
        let collectors = self
            .state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .collectors
            .clone();
        for (i, collector) in collectors.iter().enumerate() {
            crate::prefetch::collectors_ahead(&collectors, i);
            collector.for_each_family(&mut |desc, metric| {
                let labels = metric.labels();
                // Labels that expire: their names (with the generation
                // each holds its slot at) are taken before the numbers.
                let names: Vec<_> = labels
                    .dynamic
                    .iter()
                    .map(|t| t.and_then(|t| t.expiring_names()))
                    .collect();
                match metric.collect() {
                    Ok(mut collected) => {
                        // Runtime-bounded labels: only admitted values' series
                        // (and the overflow series once used) are exposed. A
                        // series of an expiring value is kept only if its slot
                        // still had the same generation after the numbers were
                        // read: its name and numbers then belong together.
                        if labels.has_dynamic() {
                            collected
                                .series
                                .retain(|s| present(labels, &names, s.index));
                        }
                        visit(FamilySnapshot {
                            name: self.exposed_name(desc, metric.kind()),
                            help: desc.help.clone(),
                            unit: desc.unit,
                            kind: metric.kind(),
                            labels,
                            series: collected.series,
                            clamped: collected.clamped,
                            // Without an expiring label, the names the
                            // family read with its series (if any).
                            names: if names.iter().all(Option::is_none) {
                                collected.names
                            } else {
                                ValueNames::new(
                                    names
                                        .into_iter()
                                        .map(|n| {
                                            n.map(|n| {
                                                n.into_iter().map(|n| n.map(|(_, n)| n)).collect()
                                            })
                                        })
                                        .collect(),
                                )
                            },
                        })
                    }
                    Err(_) => failed.set(failed.get() + 1),
                }
            });
        }
        // Every family was read: an export of the labels it tracks ended.
        #[cfg(not(tally_loom))]
        if let Some(overflow) = self.overflow.get() {
            overflow.end_export();
        }
        self.failed_computed.fetch_add(failed.get(), Relaxed);
    }

    /// The constant labels put on every series (set by
    /// [`RegistryBuilder::const_label`]): what each snapshot's
    /// `const_labels` holds, for an encoder that walks the families with
    /// [`snapshot_each`](Self::snapshot_each).
    pub fn const_labels(&self) -> &[(String, String)] {
        &self.const_labels
    }

    /// Computed metrics that failed (panicked) in any snapshot, since start.
    pub fn failed_computed(&self) -> u64 {
        self.failed_computed.load(Relaxed)
    }
}

/// Whether a snapshot lists series `index`: each runtime-bounded label
/// has an admitted value there (or its used overflow value), and each
/// expiring one the same generation as when its names were taken.
fn present(
    labels: &LabelDesc,
    names: &[Option<crate::admission::SlotNames>],
    index: usize,
) -> bool {
    labels.dynamic.iter().enumerate().all(|(l, table)| {
        let Some(table) = table else { return true };
        let ordinal = labels.ordinal(index, l);
        match names.get(l).and_then(Option::as_ref) {
            Some(names) if ordinal < table.capacity() => {
                matches!(names.get(ordinal), Some(Some((g, _))) if table.__generation(ordinal) == *g)
            }
            _ => table.is_present(ordinal),
        }
    })
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

/// The process-wide registry, set once.
static GLOBAL: OnceLock<Registry> = OnceLock::new();

/// A collector whose family names get a prefix: what
/// [`Registry::register_with_prefix`] registers.
struct Prefixed {
    prefix: String,
    inner: Arc<dyn Collector>,
}

impl Collector for Prefixed {
    fn for_each_family(&self, visit: &mut dyn FnMut(&Desc, &dyn Metric)) {
        self.inner
            .for_each_family(&mut |desc, metric| visit(&desc.prefixed(&self.prefix), metric))
    }

    fn prefetch(&self, depth: usize) {
        match depth {
            0 => crate::prefetch::prefetch(Arc::as_ptr(&self.inner)),
            _ => self.inner.prefetch(depth - 1),
        }
    }
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

    /// Makes this the process-wide [`Registry::global`], once, at
    /// startup: `Err(GlobalInUse)` if the global registry was already
    /// used (or set), since families registered into it would otherwise
    /// change names; the prefix and constant labels are checked as by
    /// [`build`](Self::build).
    pub fn build_global(self) -> Result<&'static Registry, RegistryError> {
        let registry = self.build()?;
        let mut set = false;
        let global = GLOBAL.get_or_init(|| {
            set = true;
            registry
        });
        if set {
            Ok(global)
        } else {
            Err(RegistryError::GlobalInUse)
        }
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
