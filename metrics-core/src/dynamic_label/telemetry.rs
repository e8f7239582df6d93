//! Self-telemetry of runtime-bounded labels: the registry's
//! `tally_label_overflow_total{label,reason}` family, counting every
//! resolution that went to a label's overflow value, by reason.

use std::sync::Mutex;

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

/// The overflow counts of every runtime-bounded label type used by a
/// registry's families.
pub(crate) struct OverflowTelemetry {
    desc: Desc,
    tables: Mutex<Vec<&'static DynamicValues>>,
}

impl OverflowTelemetry {
    pub(crate) fn new() -> Self {
        OverflowTelemetry {
            desc: Desc::new(
                FAMILY,
                "Label values that went to a runtime-bounded label's overflow value (__overflow__), by label and reason.",
            ).standard(),
            tables: Mutex::new(Vec::new()),
        }
    }

    /// Reports `table` from now on (once, however many families use it).
    pub(crate) fn track(&self, table: &'static DynamicValues) {
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        if !tables.iter().any(|t| std::ptr::eq(*t, table)) {
            LabelName::get(table.name());
            tables.push(table);
        }
    }
}

impl Collector for OverflowTelemetry {
    fn for_each_family(&self, visit: &mut dyn FnMut(&Desc, &dyn Metric)) {
        visit(&self.desc, self)
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
            let name = LabelName::get(table.name());
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
        Ok(Collected { series, clamped: 0 })
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
