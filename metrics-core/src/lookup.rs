//! Reading values back from a snapshot by name and labels, for tests
//! (no text to parse) and for code that inspects its own metrics.

use crate::desc::MetricKind;
use crate::histogram::HistogramSnapshot;
use crate::snapshot::{FamilySnapshot, RegistrySnapshot, Series, Value};

/// One series found in a [`RegistrySnapshot`]: its family, its labels and
/// readers for its value.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// The family the series belongs to.
    pub family: &'a FamilySnapshot,
    /// The series.
    pub series: &'a Series,
}

impl<'a> Found<'a> {
    /// The value of a counter, gauge or info series (`None` for
    /// distributions).
    pub fn value(&self) -> Option<f64> {
        self.series.value.as_f64()
    }

    /// The distribution of a histogram or summary series.
    pub fn histogram(&self) -> Option<&'a HistogramSnapshot> {
        match &self.series.value {
            Value::Histogram(h) | Value::Summary(h) => Some(h),
            _ => None,
        }
    }

    /// How many values a histogram or summary series recorded.
    pub fn count(&self) -> Option<u64> {
        self.histogram().map(HistogramSnapshot::count)
    }

    /// The sum of a histogram or summary series, in exposed units (e.g.
    /// seconds for a duration histogram).
    pub fn sum(&self) -> Option<f64> {
        self.histogram().map(HistogramSnapshot::sum_scaled)
    }

    /// The value at quantile `q` (`0..=1`) of a histogram or summary
    /// series, in exposed units, within the family's precision.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.histogram()
            .map(|h| h.value_at_quantile(q) as f64 / h.config().scale())
    }

    /// The series' `(label, value)` pairs (without constant labels).
    pub fn labels(&self) -> impl Iterator<Item = (&'static str, &'a str)> + 'a {
        self.family.label_pairs(self.series)
    }
}

impl FamilySnapshot {
    /// Whether `name` designates this family: its exposed name, or the
    /// sample name a counter (`_total`) or info family (`_info`) is
    /// exposed under.
    pub fn is_named(&self, name: &str) -> bool {
        let suffix = match self.kind {
            MetricKind::Counter => "_total",
            MetricKind::Info => "_info",
            _ => "",
        };
        name == self.name
            || (!suffix.is_empty() && name.strip_suffix(suffix) == Some(self.name.as_str()))
    }
}

impl RegistrySnapshot {
    /// The family called `name` (its exposed name; counters also answer
    /// to `name_total`, info families to `name_info`).
    pub fn family(&self, name: &str) -> Option<&FamilySnapshot> {
        self.families.iter().find(|f| f.is_named(name))
    }

    /// Every series of family `name` whose labels include all of
    /// `labels` (constant labels of the registry count too).
    pub fn find_all(&self, name: &str, labels: &[(&str, &str)]) -> Vec<Found<'_>> {
        let Some(family) = self.family(name) else {
            return Vec::new();
        };
        let has = |found: &Found<'_>, name: &str, value: &str| {
            found.labels().any(|(n, v)| n == name && v == value)
                || self
                    .const_labels
                    .iter()
                    .any(|(n, v)| n == name && v == value)
        };
        family
            .series
            .iter()
            .map(|series| Found { family, series })
            .filter(|found| labels.iter().all(|&(n, v)| has(found, n, v)))
            .collect()
    }

    /// The one series of family `name` whose labels include all of
    /// `labels`; `None` if there is none, or several (name more labels).
    /// Counters and gauges list every series, histograms only those that
    /// recorded something.
    ///
    /// ```
    /// use tally_core::{Counter, Desc, Histogram, HistogramConfig, Registry};
    /// let registry = Registry::new();
    /// let hits = registry.register(Desc::new("hits_total", "Hits."), Counter::<bool>::new()).unwrap();
    /// hits.with(true).add(3);
    /// let latency = registry
    ///     .register(Desc::new("latency_seconds", "Latency."), Histogram::<()>::with_config(HistogramConfig::seconds()).unwrap())
    ///     .unwrap();
    /// latency.record_duration(std::time::Duration::from_millis(20));
    ///
    /// let snapshot = registry.snapshot();
    /// assert_eq!(snapshot.find("hits_total", &[("flag", "true")]).unwrap().value(), Some(3.0));
    /// assert_eq!(snapshot.value("hits_total", &[("flag", "false")]), Some(0.0));
    /// assert_eq!(snapshot.sum("hits_total", &[]), Some(3.0));
    /// assert!(snapshot.find("hits_total", &[]).is_none()); // two series match
    /// let latency = snapshot.find("latency_seconds", &[]).unwrap();
    /// assert_eq!(latency.count(), Some(1));
    /// assert!((latency.quantile(0.5).unwrap() - 0.020).abs() < 0.001);
    /// ```
    pub fn find(&self, name: &str, labels: &[(&str, &str)]) -> Option<Found<'_>> {
        let all = self.find_all(name, labels);
        (all.len() == 1).then(|| all[0])
    }

    /// The value of the one counter, gauge or info series [`find`](Self::find)
    /// finds.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.find(name, labels)?.value()
    }

    /// The sum of the counter or gauge series of family `name` whose
    /// labels include all of `labels` (e.g. requests of every status);
    /// `None` if the family is absent or holds distributions.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.family(name)?;
        self.find_all(name, labels)
            .iter()
            .map(|found| found.value())
            .sum::<Option<f64>>()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Counter, Desc, Gauge, Registry};

    #[test]
    fn const_labels_and_names() {
        let registry = Registry::builder()
            .const_label("service", "api")
            .build()
            .unwrap();
        let c = registry
            .register(Desc::new("jobs_total", "Jobs."), Counter::<()>::new())
            .unwrap();
        c.add(2);
        registry
            .register(Desc::new("queue", "Queue."), Gauge::<()>::new())
            .unwrap()
            .set(-4);
        let s = registry.snapshot();
        assert_eq!(s.value("jobs_total", &[]), Some(2.0));
        assert_eq!(s.value("jobs", &[("service", "api")]), Some(2.0));
        assert_eq!(s.value("jobs", &[("service", "web")]), None);
        assert_eq!(s.value("queue", &[]), Some(-4.0));
        assert_eq!(s.value("queue_total", &[]), None);
        assert_eq!(s.value("missing", &[]), None);
        assert_eq!(s.sum("missing", &[]), None);
        assert!(s.find("queue", &[]).unwrap().histogram().is_none());
    }
}
