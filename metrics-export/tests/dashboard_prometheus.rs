//! The Grafana dashboard generated from a registry: its shape (a row per
//! prefix, a panel per family, the objectives' error budgets), and every
//! panel's PromQL run against a real Prometheus 2.42 scraping the
//! registry under traffic: each must succeed and return data.

#![cfg(feature = "http")]

mod http_support;
mod slo_support;

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use slo_support::{skip, Prometheus};
use tally_core::{Counter, Desc, Gauge, Histogram, Registry, Unit};
use tally_export::dashboard::{dashboard, queries, DashboardOptions};
use tally_export::{Handler, Server};

mod shim {
    pub mod __private {
        pub use tally_core::instrument::__private as instrument;
        pub use tally_core::LabelValue;
    }
}

#[tally_derive::instrument(
    crate = "crate::shim",
    objective(success = 99.5, latency = "100ms", latency_target = 99, window = "1h")
)]
fn lookup(n: u64) -> Result<u64, Miss> {
    if n == 50 {
        return Err(Miss::NotFound);
    }
    Ok(n)
}

#[derive(tally_derive::LabelValue, Clone, Copy, Debug)]
#[label(crate = "crate::shim")]
enum Miss {
    NotFound,
}

struct Service {
    orders: Arc<Counter<bool>>,
    depth: Arc<Gauge>,
    latency: Arc<Histogram>,
    hits: Arc<Counter>,
}

fn service(registry: &Registry) -> Service {
    tally_core::instrument::register(registry).unwrap();
    Service {
        orders: registry
            .register(
                Desc::new("shop_orders", "Orders, by whether paid."),
                Counter::<bool>::new(),
            )
            .unwrap(),
        depth: registry
            .register(
                Desc::new("shop_queue_depth", "Orders waiting."),
                Gauge::<()>::new(),
            )
            .unwrap(),
        latency: registry
            .register(
                Desc::new("shop_checkout", "Checkout latency.").with_unit(Unit::SECONDS),
                Histogram::<()>::new(),
            )
            .unwrap(),
        hits: registry
            .register(Desc::new("cache_hits", "Cache hits."), Counter::<()>::new())
            .unwrap(),
    }
}

#[test]
fn a_row_per_prefix_a_panel_per_family_and_budgets() {
    let registry = Registry::new();
    let _service = service(&registry);
    lookup(1).unwrap();
    let json = dashboard(&registry, &DashboardOptions::default());
    let panels = json["panels"].as_array().unwrap();
    let rows: Vec<&str> = panels
        .iter()
        .filter(|p| p["type"] == "row")
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(rows, ["function", "shop", "cache", "error budgets"]);
    let titles: Vec<&str> = panels
        .iter()
        .filter(|p| p["type"] != "row")
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "function_calls",
            "function_calls_errors",
            "function_calls_duration_seconds",
            "function_calls_concurrent",
            "shop_orders",
            "shop_queue_depth",
            "shop_checkout_seconds",
            "cache_hits",
            "lookup-success: error budget left",
            "lookup-latency: error budget left",
        ]
    );
    let checkout = panels
        .iter()
        .find(|p| p["title"] == "shop_checkout_seconds")
        .unwrap();
    assert_eq!(checkout["fieldConfig"]["defaults"]["unit"], "s");
    assert_eq!(
        checkout["targets"][2]["expr"],
        "histogram_quantile(0.99, sum by (le) (rate(shop_checkout_seconds_bucket[$__rate_interval])))"
    );
    let native = dashboard(
        &registry,
        &DashboardOptions {
            native_histograms: true,
            ..DashboardOptions::default()
        },
    );
    assert!(queries(&native)
        .iter()
        .any(|q| q.expr
            == "histogram_quantile(0.5, sum(rate(shop_checkout_seconds[$__rate_interval])))"));
}

#[test]
fn every_panel_query_returns_data_from_a_real_prometheus() {
    if skip() {
        return;
    }
    let registry = Arc::new(Registry::new());
    let s = service(&registry);
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(registry.clone()).unwrap())
        .start()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let driver = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Relaxed) {
                for _ in 0..20 {
                    n += 1;
                    let _ = lookup(n);
                    let _ = lookup(50);
                    s.orders.with(n & 1 == 0).inc();
                    s.hits.inc();
                    s.latency.record(1_000_000 * (n % 200));
                }
                s.depth.set((n % 7) as i64);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    lookup(1).unwrap();
    let json = dashboard(&registry, &DashboardOptions::default());
    let prometheus = Prometheus::start("dashboard", server.local_addr(), None, None);
    // Enough scrapes for a rate over 10 s.
    prometheus.wait(Duration::from_secs(40), "rates of the counters", |p| {
        let r = p.query("sum(rate(function_calls_total[10s])) > 0")?.ok()?;
        (!r.is_empty()).then_some(())
    });
    let all = queries(&json);
    // A panel per family of the registry (the handler's own process and
    // scrape families included), 3 quantiles per histogram, 2 budgets.
    let families = registry.snapshot().families;
    let histograms = families
        .iter()
        .filter(|f| f.kind == tally_core::MetricKind::Histogram)
        .count();
    assert_eq!(all.len(), families.len() + 2 * histograms + 2, "{all:#?}");
    for q in &all {
        let expr = q.expr.replace("$__rate_interval", "10s");
        let result = prometheus
            .query(&expr)
            .expect("prometheus answers")
            .unwrap_or_else(|e| panic!("panel {}: `{expr}` failed: {e}", q.panel));
        assert!(
            !result.is_empty(),
            "panel {}: `{expr}` returned no data",
            q.panel
        );
        println!("{:<40} {:>3} series  {expr}", q.panel, result.len());
    }
    stop.store(true, Relaxed);
    driver.join().unwrap();
}
