//! Idle expiry (`TallyRecorder::idle_timeout`): the sweep of names left
//! without series (the clock is `idle_clock.rs`), which runs when
//! the registry reads `tally_metrics_recorder_expired_total` (registered
//! before any family, so at the start of each scrape).

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};

use tally_core::{
    CollectError, Collected, Collector, Desc, LabelDesc, LabelSet, Metric, MetricKind, Registry,
};

use super::family::Family;
use super::idle_clock::Expiry;
use super::telemetry::{counters, Expired, Telemetry};

/// The recorder's families by name, shared with the sweep.
pub(super) type Families = RwLock<HashMap<String, Arc<Family>>>;

/// `tally_metrics_recorder_expired_total{what}`, whose reading first
/// removes the names left without series for the idle timeout.
pub(super) struct Sweeper {
    families: Weak<Families>,
    registry: &'static Registry,
    expiry: Arc<Expiry>,
    telemetry: Arc<Telemetry>,
    desc: Desc,
}

impl Sweeper {
    /// The sweep of the recorder's `families` in `registry`.
    pub(super) fn new(
        families: Weak<Families>,
        registry: &'static Registry,
        expiry: Arc<Expiry>,
        telemetry: Arc<Telemetry>,
    ) -> Self {
        Sweeper {
            families,
            registry,
            expiry,
            telemetry,
            desc: Desc::new(
                "tally_metrics_recorder_expired_total",
                "`metrics` series and names the recorder removed after its idle timeout, by what.",
            )
            .standard(),
        }
    }

    /// The sweep, if the recorder is still there.
    fn sweep(&self) {
        let Some(families) = self.families.upgrade() else {
            return;
        };
        let now = self.expiry.now();
        let any = families
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .any(|f| idle(f, &self.expiry, now));
        if any {
            let mut families = families.write().unwrap_or_else(|e| e.into_inner());
            sweep(&mut families, self.registry, &self.expiry, &self.telemetry);
        }
    }
}

/// Whether `family` has had no series for the idle timeout.
fn idle(family: &Family, expiry: &Expiry, now: u64) -> bool {
    family
        .idle_since()
        .is_some_and(|since| expiry.expired(since, now))
}

/// Removes every family with no series for the idle timeout, out of
/// `families` (whose write lock the caller holds: registrations of series
/// hold it for reading, so none is being added meanwhile) and out of
/// `registry` (under the same lock, so the name is free in both when a
/// registration creates it again).
pub(super) fn sweep(
    families: &mut HashMap<String, Arc<Family>>,
    registry: &Registry,
    expiry: &Expiry,
    telemetry: &Telemetry,
) {
    let now = expiry.now();
    let mut removed = 0;
    families.retain(|_, family| {
        if !idle(family, expiry, now) {
            return true;
        }
        let collector: Arc<dyn Collector> = family.clone();
        registry.unregister(&collector);
        removed += 1;
        false
    });
    telemetry.expire(Expired::Name, removed);
}

impl Collector for Sweeper {
    fn for_each_family(&self, visit: &mut dyn FnMut(&Desc, &dyn Metric)) {
        visit(&self.desc, self)
    }
}

impl Metric for Sweeper {
    fn kind(&self) -> MetricKind {
        MetricKind::Counter
    }

    fn labels(&self) -> &'static LabelDesc {
        <Expired as LabelSet>::DESC
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        self.sweep();
        Ok(counters(self.telemetry.expired_cells()))
    }
}
