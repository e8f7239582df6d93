//! The exporter's own families, registered into the registry it serves.

use std::sync::Arc;
use std::time::Duration;

use tally_core::{
    Counter, Desc, Gauge, Histogram, HistogramConfig, LabelValue, Registry, RegistryError,
    RegistrySnapshot, Unit,
};

use crate::encode::Format;

/// Bounds of `tally_scrape_duration_seconds`' classic buckets, in seconds.
const SCRAPE_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The exposition format of a scrape, as the `format` label of
/// `tally_scrapes_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScrapeFormat {
    /// Prometheus text 0.0.4.
    PrometheusText,
    /// OpenMetrics text 1.0.
    OpenMetrics,
    /// Prometheus protobuf (delimited `MetricFamily`).
    Protobuf,
    /// JSON (`/debug/vars` or negotiated).
    Json,
}

impl From<Format> for ScrapeFormat {
    fn from(format: Format) -> Self {
        match format {
            Format::PrometheusText => ScrapeFormat::PrometheusText,
            Format::OpenMetrics => ScrapeFormat::OpenMetrics,
            Format::Protobuf => ScrapeFormat::Protobuf,
            Format::Json => ScrapeFormat::Json,
        }
    }
}

#[diagnostic::do_not_recommend]
impl LabelValue for ScrapeFormat {
    const NAME: &'static str = "format";
    const VALUES: &'static [&'static str] = &["prometheus_text", "openmetrics", "protobuf", "json"];

    fn ordinal(&self) -> usize {
        *self as usize
    }

    fn from_ordinal(ordinal: usize) -> Option<Self> {
        [
            ScrapeFormat::PrometheusText,
            ScrapeFormat::OpenMetrics,
            ScrapeFormat::Protobuf,
            ScrapeFormat::Json,
        ]
        .get(ordinal)
        .copied()
    }
}

/// How a scrape ended, as the `code` label of `tally_scrapes_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScrapeOutcome {
    /// 200: served.
    Ok,
    /// 401: missing or wrong credentials.
    Unauthorized,
    /// 503: over the concurrent-scrape cap.
    Overloaded,
    /// 500: snapshot or encoding panicked.
    Failed,
}

#[diagnostic::do_not_recommend]
impl LabelValue for ScrapeOutcome {
    const NAME: &'static str = "code";
    const VALUES: &'static [&'static str] = &["200", "401", "503", "500"];

    fn ordinal(&self) -> usize {
        *self as usize
    }

    fn from_ordinal(ordinal: usize) -> Option<Self> {
        [
            ScrapeOutcome::Ok,
            ScrapeOutcome::Unauthorized,
            ScrapeOutcome::Overloaded,
            ScrapeOutcome::Failed,
        ]
        .get(ordinal)
        .copied()
    }
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
    scrapes: Arc<Counter<(ScrapeFormat, ScrapeOutcome)>>,
}

impl Telemetry {
    /// Registers the families into `registry`; an `Err` if any name is
    /// taken (e.g. a second handler on the same registry).
    pub(crate) fn register(registry: &Registry) -> Result<Self, RegistryError> {
        let config = HistogramConfig::seconds().buckets(SCRAPE_BUCKETS);
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
    pub(crate) fn observe_snapshot(&self, snapshot: &RegistrySnapshot, elapsed: Duration) {
        let series: usize = snapshot.families.iter().map(|f| f.series.len()).sum();
        let clamped: u64 = snapshot.families.iter().map(|f| f.clamped).sum();
        self.duration.record_duration(elapsed);
        self.series.set(i64::try_from(series).unwrap_or(i64::MAX));
        self.clamped.set(i64::try_from(clamped).unwrap_or(i64::MAX));
        self.computed_failures.add(snapshot.failed_computed);
    }

    /// Counts one scrape.
    pub(crate) fn count(&self, format: ScrapeFormat, outcome: ScrapeOutcome) {
        self.scrapes.with((format, outcome)).inc();
    }
}
