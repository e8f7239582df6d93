//! Idle expiry (`TallyRecorder::idle_timeout`): the recorder's clock and
//! timeout, and the sweep of names left without series, which runs when
//! the registry reads `tally_metrics_recorder_expired_total` (registered
//! before any family, so at the start of each scrape).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use tally_core::{
    CollectError, Collected, Collector, Desc, LabelDesc, LabelSet, Metric, MetricKind, Registry,
};

use super::family::Family;
use super::telemetry::{counters, Expired, Telemetry};

/// The idle timeout and the clock it is measured on: nanoseconds since
/// the recorder was set up, plus an offset tests can advance.
pub(super) struct Expiry {
    timeout: AtomicU64,
    epoch: Instant,
    skew: AtomicU64,
}

impl Expiry {
    /// Expiry after `timeout` without a change.
    pub(super) fn new(timeout: Duration) -> Self {
        Expiry {
            timeout: AtomicU64::new(nanos(timeout)),
            epoch: Instant::now(),
            skew: AtomicU64::new(0),
        }
    }

    /// Changes the timeout.
    pub(super) fn set_timeout(&self, timeout: Duration) {
        self.timeout.store(nanos(timeout), Relaxed);
    }

    /// Whether `since` (a [`now`](Self::now)) is at least the timeout
    /// before `now`.
    pub(super) fn expired(&self, since: u64, now: u64) -> bool {
        now.saturating_sub(since) >= self.timeout.load(Relaxed)
    }

    /// The time now, in nanoseconds on this clock.
    pub(super) fn now(&self) -> u64 {
        nanos(self.epoch.elapsed()).saturating_add(self.skew.load(Relaxed))
    }

    /// Moves the clock forward by `by` (tests).
    pub(super) fn advance(&self, by: Duration) {
        self.skew.fetch_add(nanos(by), Relaxed);
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

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
