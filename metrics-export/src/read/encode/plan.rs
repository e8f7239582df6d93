//! The exposition plan of one family: every decision about how a family
//! is shown that does not depend on the format, made once here and read
//! by the text, OpenMetrics, protobuf and JSON encoders (and any new
//! encoder: build a [`Plan`] per family, then write what it says).
//!
//! - Names: a counter's samples are `name_total` in every format, and
//!   its family is listed as `name_total` in Prometheus text 0.0.4,
//!   protobuf (as client_golang names it) and JSON, but as `name` in
//!   OpenMetrics; an info family likewise with `_info`, typed `info` in
//!   OpenMetrics and JSON and `gauge` in the formats without an info type.
//! - Units: the unit of the family, and whether its name ends with it
//!   (OpenMetrics writes `# UNIT` only then).
//! - Distributions: the configuration the series share, taken from the
//!   first series. A histogram or summary family with no series yet (a
//!   labelled family before its first record) is shown as its header
//!   alone; an unlabeled one always has its one series (zeros before its
//!   first record), so it is shown in full from the start.
//! - Quantiles: the ones a summary family shows (configured, or the
//!   defaults), and for a histogram with opt-in quantiles the derived
//!   `summary` family's name and help.
//! - Labels: the series-index stride of each label, and [`Ordinals`],
//!   the one decoder of series indices into label ordinals every encoder
//!   uses (with [`LabelTable`](super::label_table::LabelTable) for the
//!   rendered values).

use std::borrow::Cow;

use tally_core::{
    FamilySnapshot, HistogramConfig, HistogramSnapshot, LabelDesc, MetricKind, Series, Value,
};

use tally_core::name;

use super::quantiles::{quantile_family_name, quantiles, summary_quantiles};

/// How one family is exposed.
pub(crate) struct Plan<'a> {
    /// The family.
    pub(crate) family: &'a FamilySnapshot,
    /// The family name without `_total`: OpenMetrics' family name, and
    /// the stem of every sample name.
    pub(crate) name: &'a str,
    /// The name the family is listed under in Prometheus text, protobuf
    /// and JSON: `name_total` for a counter and `name_info` for an info
    /// family (also their sample names in every format), `name`
    /// otherwise.
    pub(crate) listed: Cow<'a, str>,
    /// The type as Prometheus text 0.0.4 and protobuf spell it (an info
    /// family, which they have no type for, is a gauge `name_info`).
    pub(crate) type_name: &'static str,
    /// The family's own type, as OpenMetrics and JSON spell it.
    pub(crate) kind_name: &'static str,
    /// The unit, if any.
    pub(crate) unit: Option<&'static str>,
    /// Whether the name ends with `_<unit>` (OpenMetrics' `# UNIT` line).
    pub(crate) unit_in_name: bool,
    /// For a histogram or summary family: the configuration its series
    /// share, `None` while it has no series (then only the header is
    /// shown).
    pub(crate) config: Option<HistogramConfig>,
    /// The quantiles shown, ascending with `1` (the maximum): a summary
    /// family's own, or those of a histogram's derived summary family
    /// (empty when it has none).
    pub(crate) quantiles: Vec<f64>,
    /// A histogram's derived `summary` family of quantiles, when it has
    /// opt-in quantiles.
    pub(crate) quantile_family: Option<QuantileFamily>,
    /// For each label, the series-index stride of its ordinal (the first
    /// label most significant).
    pub(crate) strides: Vec<usize>,
}

/// The `summary` family derived from a histogram with opt-in quantiles.
pub(crate) struct QuantileFamily {
    /// Its name ([`quantile_family_name`]).
    pub(crate) name: String,
    /// Its HELP: the histogram's, saying what the quantiles are.
    pub(crate) help: String,
}

impl<'a> Plan<'a> {
    /// The plan of `family`.
    pub(crate) fn new(family: &'a FamilySnapshot) -> Self {
        let name = family.name.as_str();
        let (listed, type_name, kind_name) = match family.kind {
            MetricKind::Counter => (Cow::Owned(suffixed(name, "_total")), "counter", "counter"),
            MetricKind::Gauge => (Cow::Borrowed(name), "gauge", "gauge"),
            MetricKind::Histogram => (Cow::Borrowed(name), "histogram", "histogram"),
            MetricKind::Summary => (Cow::Borrowed(name), "summary", "summary"),
            MetricKind::Info => (Cow::Owned(suffixed(name, "_info")), "gauge", "info"),
        };
        let unit = family.unit.map(|u| u.as_str());
        let unit_in_name = unit.is_some_and(|unit| name::unit_stem(name, unit).is_some());
        // Only histogram and summary families hold distributions: the
        // others' series need not be scanned.
        let config = match family.kind {
            MetricKind::Histogram | MetricKind::Summary => {
                histograms(family).next().map(|(_, h)| h.config())
            }
            _ => None,
        };
        let mut qs = Vec::new();
        let mut quantile_family = None;
        match (family.kind, &config) {
            (MetricKind::Summary, Some(config)) => summary_quantiles(config, &mut qs),
            (MetricKind::Histogram, Some(config)) => {
                quantiles(config, &mut qs);
                quantile_family = (!qs.is_empty()).then(|| QuantileFamily {
                    name: quantile_family_name(name, family.unit),
                    help: format!(
                        "{} (quantiles over the process lifetime; not aggregatable)",
                        family.help
                    ),
                });
            }
            _ => {}
        }
        Plan {
            family,
            name,
            listed,
            type_name,
            kind_name,
            unit,
            unit_in_name,
            config,
            quantiles: qs,
            quantile_family,
            strides: label_strides(family.labels),
        }
    }
}

/// `name` followed by `suffix` (without `format!`'s machinery: a plan is
/// made per family on every scrape).
fn suffixed(name: &str, suffix: &str) -> String {
    let mut s = String::with_capacity(name.len() + suffix.len());
    s.push_str(name);
    s.push_str(suffix);
    s
}

/// The distributions of a histogram or summary family, with their index.
pub(crate) fn histograms(
    family: &FamilySnapshot,
) -> impl Iterator<Item = (usize, &HistogramSnapshot)> {
    histogram_series(family).map(|(s, h)| (s.index, h))
}

/// The distributions of a histogram or summary family, with their series.
pub(crate) fn histogram_series(
    family: &FamilySnapshot,
) -> impl Iterator<Item = (&Series, &HistogramSnapshot)> {
    family.series.iter().filter_map(|s| match &s.value {
        Value::Histogram(h) | Value::Summary(h) => Some((s, &**h)),
        _ => None,
    })
}

impl Plan<'_> {
    /// The `(name, value)` pairs of series `index` (without the
    /// registry's constant labels), in label order.
    pub(crate) fn pairs(&self, index: usize) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        let desc = self.family.labels;
        desc.names
            .iter()
            .zip(desc.values)
            .zip(&self.strides)
            .enumerate()
            .map(move |(l, ((name, values), &stride))| {
                (
                    *name,
                    self.family
                        .value_name(l, ordinal(index, stride, values.len())),
                )
            })
    }
}

/// The ordinal of a label of series `index`, given its series-index
/// `stride` and its `cardinality`.
#[inline]
fn ordinal(index: usize, stride: usize, cardinality: usize) -> usize {
    (index / stride) % cardinality
}

/// The series-index stride of each label of `desc`.
pub(crate) fn label_strides(desc: &LabelDesc) -> Vec<usize> {
    let values = desc.values;
    let mut strides = vec![1; values.len()];
    for i in (0..values.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * values[i + 1].len();
    }
    strides
}

/// The label ordinals of a family's series, decoded from series indices
/// with the strides of its [`Plan`]: by an odometer step when the index
/// is the previous one plus one (series come in ascending order), by
/// division otherwise. [`reset`](Self::reset) moves it to the next
/// family, keeping its buffers.
#[derive(Default)]
pub(crate) struct Ordinals {
    /// For each label, its series-index stride.
    strides: Vec<usize>,
    /// For each label, its number of values.
    cardinalities: Vec<usize>,
    /// The ordinals of series `at`.
    ordinals: Vec<usize>,
    /// The series decoded last, none since the reset.
    at: Option<usize>,
}

impl Ordinals {
    /// Moves to the family of `plan`.
    pub(crate) fn reset(&mut self, plan: &Plan) {
        let values = plan.family.labels.values;
        self.strides.clear();
        self.strides.extend_from_slice(&plan.strides);
        self.cardinalities.clear();
        self.cardinalities.extend(values.iter().map(|v| v.len()));
        self.ordinals.clear();
        self.ordinals.resize(values.len(), 0);
        self.at = None;
    }

    /// Decodes series `index`, returning the first label whose ordinal
    /// may differ from the series decoded before: the label count when it
    /// is the same series, 0 after a reset or a jump.
    #[inline]
    pub(crate) fn seek(&mut self, index: usize) -> usize {
        let changed = match self.at {
            // The common case first: the next series.
            Some(at) if at.wrapping_add(1) == index => {
                let mut l = self.ordinals.len();
                while l > 0 {
                    l -= 1;
                    self.ordinals[l] += 1;
                    if self.ordinals[l] < self.cardinalities[l] {
                        break;
                    }
                    self.ordinals[l] = 0;
                }
                l
            }
            Some(at) if at == index => return self.ordinals.len(),
            _ => {
                for ((o, &stride), &cardinality) in self
                    .ordinals
                    .iter_mut()
                    .zip(&self.strides)
                    .zip(&self.cardinalities)
                {
                    *o = ordinal(index, stride, cardinality);
                }
                0
            }
        };
        self.at = Some(index);
        changed
    }

    /// The ordinal of each label of the series last decoded.
    #[inline]
    pub(crate) fn get(&self) -> &[usize] {
        &self.ordinals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static DESC: LabelDesc = LabelDesc {
        names: &["a", "b", "c"],
        values: &[&["x", "y"], &["0", "1", "2"], &["p", "q"]],
        dynamic: &[],
    };

    #[test]
    fn odometer_matches_division_in_any_order() {
        let strides = label_strides(&DESC);
        assert_eq!(strides, [6, 2, 1]);
        let mut ordinals = Ordinals {
            strides,
            cardinalities: vec![2, 3, 2],
            ..Ordinals::default()
        };
        ordinals.ordinals.resize(3, 0);
        let order = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11, 3, 0, 7, 8, 1];
        let mut previous: Option<Vec<usize>> = None;
        for index in order {
            let changed = ordinals.seek(index);
            let want: Vec<usize> = (0..3).map(|l| DESC.ordinal(index, l)).collect();
            assert_eq!(ordinals.get(), want, "series {index}");
            if let Some(previous) = previous {
                // Every label before `changed` kept its ordinal.
                assert_eq!(previous[..changed.min(3)], want[..changed.min(3)]);
            }
            previous = Some(want);
        }
    }
}
