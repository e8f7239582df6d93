//! The recorder's self-telemetry: registrations dropped, by reason,
//! label sets sent to a name's overflow series, by name, and (with an
//! idle timeout) series and names expired.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use tally_core::{
    CollectError, Collected, Collector, Desc, LabelDesc, LabelSet, LabelValue, Metric, MetricKind,
    Series, Value,
};

tally_core::dynamic_label!(
    /// A `metrics` name, as the `metric` label of the series-overflow
    /// family (bounded too: past 256 names, overflow).
    pub(super) MetricName, name = "metric", capacity = 256
);

/// Why the recorder dropped a registration (its handle is a no-op).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, tally_derive::LabelValue)]
#[label(crate = "::tally_core", name = "reason")]
pub enum Dropped {
    /// The name breaks the Prometheus naming rules (`invalid_name`).
    InvalidName,
    /// A label key is invalid, reserved or repeated (`invalid_label_name`).
    InvalidLabelName,
    /// Too many label keys for the index space (`too_many_labels`; no
    /// longer happens: more keys admit fewer values each).
    TooManyLabels,
    /// The name was first used with another kind (`kind_conflict`).
    KindConflict,
    /// The name was first used with other label keys (`label_keys_conflict`).
    LabelKeysConflict,
    /// The registry refused the family, e.g. its name is taken or a
    /// non-counter ends in `_total` (`refused`).
    Refused,
    /// The recorder already has `max_names` families (`too_many_names`).
    TooManyNames,
    /// With an idle timeout: the name's set of label keys is new and the
    /// recorder already holds `max_names` label descriptions
    /// (`too_many_key_sets`).
    TooManyKeySets,
}

/// What the recorder removed after its idle timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, tally_derive::LabelValue)]
#[label(crate = "::tally_core", name = "what")]
pub enum Expired {
    /// A series (`series`).
    Series,
    /// A name, i.e. a family (`name`).
    Name,
}

/// Both self-telemetry families, registered with the recorder.
pub(super) struct Telemetry {
    dropped: [AtomicU64; 8],
    expired: [AtomicU64; 2],
    overflow: Box<[AtomicU64]>,
    dropped_desc: Desc,
    overflow_desc: Desc,
}

/// The overflow family's metric.
struct Overflow<'a>(&'a Telemetry);

impl Telemetry {
    pub(super) fn new() -> Self {
        Telemetry {
            dropped: Default::default(),
            expired: Default::default(),
            overflow: (0..<MetricName as LabelValue>::CARDINALITY)
                .map(|_| AtomicU64::new(0))
                .collect(),
            dropped_desc: Desc::new(
                "tally_metrics_recorder_dropped_total",
                "`metrics` registrations the recorder dropped (their handles do nothing), by reason.",
            ).standard(),
            overflow_desc: Desc::new(
                "tally_metrics_recorder_series_overflow_total",
                "`metrics` label sets past a name's series cap, recorded into its __overflow__ series.",
            ).standard(),
        }
    }

    pub(super) fn drop_one(&self, reason: Dropped) {
        self.dropped[reason as usize].fetch_add(1, Relaxed);
    }

    pub(super) fn dropped(&self, reason: Dropped) -> u64 {
        self.dropped[reason as usize].load(Relaxed)
    }

    pub(super) fn expire(&self, what: Expired, n: u64) {
        if n > 0 {
            self.expired[what as usize].fetch_add(n, Relaxed);
        }
    }

    pub(super) fn expired(&self, what: Expired) -> u64 {
        self.expired[what as usize].load(Relaxed)
    }

    /// The counts of `tally_metrics_recorder_expired_total`, by [`Expired`].
    pub(super) fn expired_cells(&self) -> &[AtomicU64] {
        &self.expired
    }

    pub(super) fn series_overflow(&self, metric: MetricName) {
        self.overflow[metric.ordinal()].fetch_add(1, Relaxed);
    }
}

impl Collector for Telemetry {
    fn for_each_family(&self, visit: &mut dyn FnMut(&Desc, &dyn Metric)) {
        visit(&self.dropped_desc, self);
        visit(&self.overflow_desc, &Overflow(self));
    }
}

pub(super) fn counters(cells: &[AtomicU64]) -> Collected {
    Collected {
        series: cells
            .iter()
            .enumerate()
            .map(|(index, v)| Series::new(index, Value::Counter(v.load(Relaxed))))
            .collect(),
        clamped: 0,
        ..Default::default()
    }
}

impl Metric for Telemetry {
    fn kind(&self) -> MetricKind {
        MetricKind::Counter
    }

    fn labels(&self) -> &'static LabelDesc {
        <Dropped as LabelSet>::DESC
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        Ok(counters(&self.dropped))
    }
}

impl Metric for Overflow<'_> {
    fn kind(&self) -> MetricKind {
        MetricKind::Counter
    }

    fn labels(&self) -> &'static LabelDesc {
        <MetricName as LabelSet>::DESC
    }

    /// Only the names this recorder sent to overflow: the `metric`
    /// label's table is process-wide, so listing every admitted name
    /// would show other recorders' (other registries') names here.
    fn collect(&self) -> Result<Collected, CollectError> {
        let mut collected = counters(&self.0.overflow);
        collected
            .series
            .retain(|s| !matches!(s.value, Value::Counter(0)));
        Ok(collected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_unchanged() {
        crate::label_check::assert_label::<Dropped>(
            "reason",
            &[
                "invalid_name",
                "invalid_label_name",
                "too_many_labels",
                "kind_conflict",
                "label_keys_conflict",
                "refused",
                "too_many_names",
                "too_many_key_sets",
            ],
        );
        crate::label_check::assert_label::<Expired>("what", &["series", "name"]);
    }
}
