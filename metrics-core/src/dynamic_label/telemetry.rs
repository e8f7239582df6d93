//! Self-telemetry of runtime-bounded labels: the registry's
//! `tally_label_overflow_total{label,reason}` family, counting every
//! resolution that went to a label's overflow value, by reason, and (once
//! a label with an idle time is tracked) `tally_label_evicted_total{label}`,
//! counting values evicted after their idle time.

use std::sync::{Arc, Mutex};

use super::{DynamicValues, Rejection};
use crate::desc::{Desc, MetricKind};
use crate::label::{LabelDesc, LabelSet, LabelValue};
use crate::metric::{CollectError, Collected, Collector, Metric};
use crate::snapshot::{Series, Value};

crate::dynamic_label!(
    /// The name of a runtime-bounded label type, as the `label` label of
    /// the overflow family (bounded too: past 64 label names, overflow).
    pub(crate) LabelName, name = "label", capacity = 64
);

/// The name the overflow family is registered under (the registry adds
/// its prefix; text exporters add `_total`).
const FAMILY: &str = "tally_label_overflow";

/// The name of the eviction family.
const EVICTED: &str = "tally_label_evicted";

type Tables = Arc<Mutex<Vec<&'static DynamicValues>>>;

/// The overflow counts of every runtime-bounded label type used by a
/// registry's families.
pub(crate) struct OverflowTelemetry {
    desc: Desc,
    tables: Tables,
    evicted: EvictedTelemetry,
}

/// The eviction counts of the expiring labels among them.
struct EvictedTelemetry {
    desc: Desc,
    tables: Tables,
}

impl OverflowTelemetry {
    pub(crate) fn new() -> Self {
        let tables = Tables::default();
        OverflowTelemetry {
            desc: Desc::new(
                FAMILY,
                "Label values that went to a runtime-bounded label's overflow value (__overflow__), by label and reason.",
            ).standard(),
            tables: tables.clone(),
            evicted: EvictedTelemetry {
                desc: Desc::new(
                    EVICTED,
                    "Values of a label with an idle time evicted after it, so their slot went to a new value, by label.",
                )
                .standard(),
                tables,
            },
        }
    }

    /// An export of the registry ended: what labels with an idle time
    /// count exports with.
    pub(crate) fn end_export(&self) {
        let tables = self
            .tables
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for table in tables {
            table.end_export();
        }
    }

    /// Reports `table` from now on (once, however many families use it).
    pub(crate) fn track(&self, table: &'static DynamicValues) {
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        if !tables.iter().any(|t| std::ptr::eq(*t, table)) {
            LabelName::admit(table.name());
            tables.push(table);
        }
    }
}

impl Collector for OverflowTelemetry {
    fn for_each_family(&self, visit: &mut dyn FnMut(&Desc, &dyn Metric)) {
        visit(&self.desc, self);
        let expiring = self
            .tables
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|t| t.idle().is_some());
        if expiring {
            visit(&self.evicted.desc, &self.evicted)
        }
    }
}

impl Metric for EvictedTelemetry {
    fn kind(&self) -> MetricKind {
        MetricKind::Counter
    }

    fn labels(&self) -> &'static LabelDesc {
        LabelName::DESC
    }

    /// One series per tracked label with an idle time.
    fn collect(&self) -> Result<Collected, CollectError> {
        let mut totals = vec![None::<u64>; <LabelName as LabelSet>::CARDINALITY];
        for table in self.tables.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            if table.idle().is_some() {
                let name = LabelName::admit(table.name());
                *totals[name.index()].get_or_insert(0) += table.evicted();
            }
        }
        let series = totals
            .into_iter()
            .enumerate()
            .filter_map(|(index, v)| Some(Series::new(index, Value::Counter(v?))))
            .collect();
        Ok(Collected {
            series,
            clamped: 0,
            ..Default::default()
        })
    }
}

/// The `reason` label. A crate-private type, so that `LabelValue`'s
/// "other types implement" diagnostics list only the user's own labels.
#[derive(Clone, Copy)]
pub(crate) struct Reason(Rejection);

#[diagnostic::do_not_recommend]
impl LabelValue for Reason {
    const NAME: &'static str = "reason";
    const VALUES: &'static [&'static str] = &[
        "full",
        "sealed",
        "empty",
        "too_long",
        "control_char",
        "reserved",
        "expired",
    ];

    #[inline]
    fn ordinal(&self) -> usize {
        self.0 as usize
    }

    fn from_ordinal(ordinal: usize) -> Option<Self> {
        Rejection::ALL.get(ordinal).copied().map(Reason)
    }
}

type Labels = (LabelName, Reason);

impl Metric for OverflowTelemetry {
    fn kind(&self) -> MetricKind {
        MetricKind::Counter
    }

    fn labels(&self) -> &'static LabelDesc {
        Labels::DESC
    }

    /// The series of the labels this registry's families use, and only
    /// those: the `label` label's table is process-wide, so the names
    /// other registries tracked are admitted too, but do not belong here.
    fn collect(&self) -> Result<Collected, CollectError> {
        let mut totals = vec![None::<u64>; Labels::CARDINALITY];
        for table in self.tables.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let name = LabelName::admit(table.name());
            for reason in Rejection::ALL {
                let total = totals[(name, Reason(reason)).index()].get_or_insert(0);
                *total += table.rejected(reason);
            }
        }
        let series = totals
            .into_iter()
            .enumerate()
            .filter_map(|(index, v)| Some(Series::new(index, Value::Counter(v?))))
            .collect();
        Ok(Collected {
            series,
            clamped: 0,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_values_match_rejection_names() {
        for r in Rejection::ALL {
            assert_eq!(Reason(r).as_str(), r.as_str());
            assert_eq!(Reason::from_ordinal(r as usize).map(|x| x.0), Some(r));
        }
    }
}
