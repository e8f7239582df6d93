//! The OpenTelemetry SDK (`opentelemetry_sdk` metrics) as the benchmarks
//! use it: a meter provider with a `ManualReader`, so the SDK aggregates
//! (without a registered reader its instruments record nothing) and a
//! scrape can be timed as `reader.collect(..)`, the SDK's counterpart of
//! tally's `registry.snapshot()`. The SDK has no Prometheus text encoder of
//! its own (its Prometheus exporter crate is deprecated in favour of OTLP),
//! so its scrape row is the collection alone.

use std::sync::{Arc, Weak};
use std::time::Duration;

use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{
    InstrumentKind, ManualReader, Pipeline, SdkMeterProvider, Temporality,
};

/// A `ManualReader` the provider and the benchmark share (the provider
/// takes its reader by value; the SDK's own benchmarks do the same).
#[derive(Clone, Debug)]
struct SharedReader(Arc<ManualReader>);

impl MetricReader for SharedReader {
    fn register_pipeline(&self, pipeline: Weak<Pipeline>) {
        self.0.register_pipeline(pipeline)
    }

    fn collect(&self, rm: &mut ResourceMetrics) -> OTelSdkResult {
        self.0.collect(rm)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn temporality(&self, kind: InstrumentKind) -> Temporality {
        self.0.temporality(kind)
    }
}

/// A meter provider (cumulative temporality, the SDK's default) with its
/// reader and one meter.
pub struct Otel {
    /// Kept alive: dropping the provider shuts its pipeline down.
    pub provider: SdkMeterProvider,
    reader: Arc<ManualReader>,
    /// The meter the benchmarks create their instruments from.
    pub meter: Meter,
}

impl Otel {
    /// A new provider, reader and meter.
    pub fn new() -> Self {
        let reader = Arc::new(ManualReader::builder().build());
        let provider = SdkMeterProvider::builder()
            .with_reader(SharedReader(reader.clone()))
            .build();
        let meter = provider.meter("tally-benches");
        Otel {
            provider,
            reader,
            meter,
        }
    }

    /// One collection of every instrument into `rm` (reused between
    /// scrapes); returns the number of data points collected.
    pub fn collect(&self, rm: &mut ResourceMetrics) -> usize {
        use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
        self.reader.collect(rm).unwrap();
        rm.scope_metrics()
            .flat_map(|s| s.metrics())
            .map(|m| match m.data() {
                AggregatedMetrics::U64(MetricData::Sum(s)) => s.data_points().count(),
                AggregatedMetrics::F64(MetricData::Histogram(h)) => h.data_points().count(),
                _ => 0,
            })
            .sum()
    }
}

impl Default for Otel {
    fn default() -> Self {
        Self::new()
    }
}
