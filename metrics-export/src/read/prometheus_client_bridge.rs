//! A tally registry exposed through prometheus-client's [`Collector`]: a
//! team already on prometheus-client registers [`TallyCollector`] in its
//! `prometheus_client::registry::Registry` and moves family by family;
//! one scrape shows both.
//!
//! Every family is read from one [`Registry::snapshot`] per scrape.
//! Counters, gauges and histograms (classic `le` buckets, the same bounds
//! tally's own encoders use) map one to one. Windowed histograms (tally
//! summaries) are skipped: prometheus-client 0.26 has no summary type.
//! Names are passed as tally exposes them (prefix and unit suffix
//! included, no unit to add again); the registry's constant labels go on
//! every series.
//!
//! ```
//! use std::sync::Arc;
//! let registry = Arc::new(tally_core::Registry::new());
//! let hits = registry
//!     .register(tally_core::Desc::new("hits_total", "Hits."), tally_core::Counter::<()>::new())
//!     .unwrap();
//! hits.add(2);
//! let mut prom = prometheus_client::registry::Registry::default();
//! prom.register_collector(Box::new(tally_export::TallyCollector::new(registry)));
//! let mut text = String::new();
//! prometheus_client::encoding::text::encode(&mut text, &prom).unwrap();
//! assert!(text.contains("hits_total 2"));
//! ```

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use tally_core::{MetricKind, Registry, Value};

use crate::read::encode::buckets::Classic;

/// A tally [`Registry`] as a prometheus-client [`Collector`].
pub struct TallyCollector {
    registry: Arc<Registry>,
}

impl TallyCollector {
    /// Exposes `registry` on every scrape of the prometheus-client
    /// registry this collector is registered in.
    pub fn new(registry: Arc<Registry>) -> Self {
        TallyCollector { registry }
    }
}

impl std::fmt::Debug for TallyCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TallyCollector").finish_non_exhaustive()
    }
}

impl Collector for TallyCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let snapshot = self.registry.snapshot();
        let mut classic = Classic::default();
        for family in &snapshot.families {
            let kind = match family.kind {
                MetricKind::Counter => MetricType::Counter,
                MetricKind::Gauge | MetricKind::Info => MetricType::Gauge,
                MetricKind::Histogram => MetricType::Histogram,
                MetricKind::Summary => continue,
            };
            // An info family is the gauge `name_info` (= 1), as in text 0.0.4.
            let name = match family.kind {
                MetricKind::Info => format!("{}_info", family.name),
                _ => family.name.clone(),
            };
            let mut metric = encoder.encode_descriptor(&name, &family.help, None, kind)?;
            let mut prepared = false;
            for series in &family.series {
                let labels: Vec<(String, String)> = snapshot
                    .const_labels
                    .iter()
                    .cloned()
                    .chain(
                        family
                            .label_pairs(series)
                            .map(|(k, v)| (k.to_owned(), v.to_owned())),
                    )
                    .collect();
                let mut m = metric.encode_family(&labels)?;
                match &series.value {
                    Value::Counter(v) => m.encode_counter::<NoLabelSet, _, f64>(v, None)?,
                    Value::CounterF64(v) => m.encode_counter::<NoLabelSet, _, f64>(v, None)?,
                    Value::Gauge(v) => m.encode_gauge(v)?,
                    Value::GaugeF64(v) => m.encode_gauge(v)?,
                    Value::Histogram(h) => {
                        if !prepared {
                            classic.prepare(&h.config(), family.unit);
                            prepared = true;
                        }
                        classic.count(h);
                        // prometheus-client takes per-bucket counts and
                        // accumulates them itself; the last is +Inf.
                        let mut buckets = Vec::with_capacity(classic.cumulative.len() + 1);
                        let mut below = 0;
                        for (i, &c) in classic.cumulative.iter().enumerate() {
                            buckets.push((classic.bounds[i], c - below));
                            below = c;
                        }
                        buckets.push((f64::INFINITY, h.count() - below));
                        m.encode_histogram::<NoLabelSet>(
                            h.sum_scaled(),
                            h.count(),
                            &buckets,
                            None,
                        )?;
                    }
                    Value::Summary(_) => {}
                }
            }
        }
        Ok(())
    }
}
