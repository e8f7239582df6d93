//! The exporter's own families, registered into the registry it serves.

use std::sync::Arc;
use std::time::Duration;

use tally_core::{Counter, Desc, Gauge, Histogram, HistogramConfig, Registry, RegistryError, Unit};

use crate::read::encode::Format;

/// Bounds of `tally_scrape_duration_seconds`' classic buckets, in seconds.
const SCRAPE_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// How a scrape ended, as the `code` label of `tally_scrapes_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, tally_derive::LabelValue)]
#[label(crate = "::tally_core", name = "code")]
pub(crate) enum ScrapeOutcome {
    /// 200: served.
    #[label(rename = "200")]
    Ok,
    /// 401: missing or wrong credentials.
    #[label(rename = "401")]
    Unauthorized,
    /// 503: over the concurrent-scrape cap.
    #[label(rename = "503")]
    Overloaded,
    /// 500: snapshot or encoding panicked.
    #[label(rename = "500")]
    Failed,
}

/// Handles on the self-telemetry families:
///
/// - `tally_scrape_duration_seconds` (histogram): time to snapshot and
///   encode one scrape (compression excluded);
/// - `tally_scrape_series` (gauge): series exposed by the last scrape;
/// - `tally_clamped_values` (gauge): out-of-range histogram values
///   clamped since start, summed over every family at the last scrape;
/// - `tally_computed_failures_total` (counter): computed metrics whose
///   closure panicked, summed over scrapes;
/// - `tally_scrapes_total{format, code}` (counter): scrapes by format and
///   status code.
///
/// A scrape updates them after taking its snapshot, so each scrape shows
/// the values of the ones before it.
pub(crate) struct Telemetry {
    duration: Arc<Histogram>,
    series: Arc<Gauge>,
    clamped: Arc<Gauge>,
    computed_failures: Arc<Counter>,
    scrapes: Arc<Counter<(Format, ScrapeOutcome)>>,
}

impl Telemetry {
    /// Registers the families into `registry`; an `Err` if any name is
    /// taken (e.g. a second handler on the same registry).
    pub(crate) fn register(registry: &Registry) -> Result<Self, RegistryError> {
        let config = HistogramConfig::seconds().with_classic_buckets(SCRAPE_BUCKETS);
        let histogram =
            Histogram::with_config(config).expect("the scrape histogram config is valid");
        Ok(Telemetry {
            duration: registry.register(
                Desc::new("tally_scrape_duration", "Time to snapshot and encode one scrape.").standard()
                    .with_unit(Unit::SECONDS),
                histogram,
            )?,
            series: registry.register(
                Desc::new("tally_scrape_series", "Series exposed by the last scrape.").standard(),
                Gauge::new(),
            )?,
            clamped: registry.register(
                Desc::new(
                    "tally_clamped_values",
                    "Out-of-range histogram values clamped into range since start, over all families, at the last scrape.",
                ).standard(),
                Gauge::new(),
            )?,
            computed_failures: registry.register(
                Desc::new(
                    "tally_computed_failures_total",
                    "Computed metrics whose closure panicked during a scrape (left out of it).",
                ).standard(),
                Counter::new(),
            )?,
            scrapes: registry.register(
                Desc::new("tally_scrapes_total", "Scrapes served, by format and status code.").standard(),
                Counter::new(),
            )?,
        })
    }

    /// Records what one successful snapshot held and how long the scrape
    /// took.
    pub(crate) fn observe_read(
        &self,
        series: usize,
        clamped: u64,
        failed_computed: u64,
        elapsed: Duration,
    ) {
        self.duration.record_duration(elapsed);
        self.series.set(i64::try_from(series).unwrap_or(i64::MAX));
        self.clamped.set(i64::try_from(clamped).unwrap_or(i64::MAX));
        self.computed_failures.add(failed_computed);
    }

    /// Counts one scrape.
    pub(crate) fn count(&self, format: Format, outcome: ScrapeOutcome) {
        self.scrapes.with((format, outcome)).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_unchanged() {
        crate::label_check::assert_label::<ScrapeOutcome>("code", &["200", "401", "503", "500"]);
    }
}
