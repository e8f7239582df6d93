//! A tally registry inside a prometheus-client registry: scraped through
//! prometheus-client's own text encoders beside a native prometheus-client
//! counter, parsed by promtool (Prometheus text) with no problem reported,
//! every tally value present, runtime label values escaped.
#![cfg(feature = "prometheus-client")]

mod support;

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter as PromCounter;
use support::{run_tool, skip_interop};
use tally_core::{
    dynamic_label, Counter, Desc, FloatGauge, Gauge, Histogram, HistogramConfig, Registry, Unit,
};
use tally_export::TallyCollector;

dynamic_label!(Tenant, name = "tenant", capacity = 2);

fn registries() -> prometheus_client::registry::Registry {
    let tally = Arc::new(
        Registry::builder()
            .prefix("app")
            .const_label("zone", "eu")
            .build()
            .unwrap(),
    );
    let requests = tally
        .register(
            Desc::new("requests_total", "Requests \"served\"."),
            Counter::<Tenant>::new(),
        )
        .unwrap();
    requests.with(Tenant::admit("ac\"me\\")).add(3);
    requests.with(Tenant::admit("ünï")).add(4);
    requests.with(Tenant::admit("third")).add(5);
    tally
        .register(Desc::new("in_flight", "In flight."), Gauge::<()>::new())
        .unwrap()
        .set(-2);
    tally
        .register(Desc::new("load", "Load."), FloatGauge::<()>::new())
        .unwrap()
        .set(0.75);
    let latency = tally
        .register(
            Desc::new("latency", "Latency.").with_unit(Unit::SECONDS),
            Histogram::<()>::with_config(
                HistogramConfig::seconds().with_classic_buckets(&[0.01, 0.1, 1.0]),
            )
            .unwrap(),
        )
        .unwrap();
    for ms in [5, 50, 50, 500, 5000] {
        latency.record(ms * 1_000_000);
    }
    let mut prom = prometheus_client::registry::Registry::default();
    let native = PromCounter::<u64>::default();
    native.inc_by(9);
    prom.register("native_jobs", "A prometheus-client counter", native);
    prom.register_collector(Box::new(TallyCollector::new(tally)));
    prom
}

#[test]
fn scraped_through_prometheus_client_and_parsed_by_promtool() {
    let prom = registries();
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, &prom).unwrap();
    for line in [
        "native_jobs_total 9",
        "app_requests_total{zone=\"eu\",tenant=\"ac\\\"me\\\\\"} 3",
        "app_requests_total{zone=\"eu\",tenant=\"ünï\"} 4",
        "app_requests_total{zone=\"eu\",tenant=\"__overflow__\"} 5",
        "app_in_flight{zone=\"eu\"} -2",
        "app_load{zone=\"eu\"} 0.75",
        "app_latency_seconds_bucket{zone=\"eu\",le=\"0.01\"} 1",
        "app_latency_seconds_bucket{zone=\"eu\",le=\"0.1\"} 3",
        "app_latency_seconds_bucket{zone=\"eu\",le=\"1\"} 4",
        "app_latency_seconds_bucket{zone=\"eu\",le=\"+Inf\"} 5",
        "app_latency_seconds_count{zone=\"eu\"} 5",
        "tally_label_overflow_total{zone=\"eu\",label=\"tenant\",reason=\"full\"} 1",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    // The OpenMetrics encoder takes the same collector.
    let mut om = String::new();
    prometheus_client::encoding::text::encode(&mut om, &prom).unwrap();
    assert!(
        om.contains("app_requests_total{zone=\"eu\",tenant=\"ünï\"} 4"),
        "{om}"
    );
    assert!(om.ends_with("# EOF\n"));

    if skip_interop() {
        return;
    }
    let output = run_tool("promtool", &["check", "metrics"], text.as_bytes());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && all.trim().is_empty(),
        "promtool: {all}\n{text}"
    );
}
