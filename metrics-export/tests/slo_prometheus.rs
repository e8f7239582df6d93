//! The generated SLO rules loaded into a real Prometheus 2.42 scraping an
//! instrumented service (tally's server on loopback): healthy traffic
//! raises no alert; driving the function into errors makes
//! `SLOErrorBudgetBurn` fire in `/api/v1/alerts`. The burn windows are
//! short (20 s / 5 s) so the test takes well under a minute.

#![cfg(feature = "http")]

mod http_support;
mod slo_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use slo_support::{skip, value, Prometheus};
use tally_core::Registry;
use tally_export::rules::{BurnWindow, SloRules};
use tally_export::{Handler, Server};

mod shim {
    pub mod __private {
        pub use tally_core::instrument::__private as instrument;
    }
}

#[tally_derive::instrument(crate = "crate::shim", objective(success = 99, window = "1h"))]
fn place_order(fail: bool) -> Result<u32, String> {
    if fail {
        return Err("payment service down".into());
    }
    Ok(1)
}

fn order_alerts(p: &Prometheus) -> Option<Vec<serde_json::Value>> {
    Some(
        p.alerts()?
            .into_iter()
            .filter(|a| a["labels"]["slo"] == "place_order-success")
            .collect(),
    )
}

#[test]
fn errors_fire_the_burn_rate_alert_and_healthy_traffic_does_not() {
    if skip() {
        return;
    }
    let registry = Arc::new(Registry::new());
    tally_core::instrument::register(&registry).unwrap();
    place_order(false).unwrap();
    let rules = SloRules::from_registry(&registry)
        .windows(vec![BurnWindow {
            long: Duration::from_secs(20),
            short: Duration::from_secs(5),
            factor: 14.4,
            severity: "page",
            r#for: Duration::ZERO,
        }])
        .unwrap()
        .to_yaml();
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(registry).unwrap())
        .start()
        .unwrap();
    let prometheus = Prometheus::start("slo", server.local_addr(), Some(&rules), None);
    let started = Instant::now();
    let stamp = |what: &str| println!("t+{:>5.1}s  {what}", started.elapsed().as_secs_f64());

    // Healthy traffic: 100 calls a second until the short and the long
    // ratios are recorded (0), then 8 s more: no alert.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let driver = {
        let (stop, failing) = (stop.clone(), failing.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let fail = failing.load(std::sync::atomic::Ordering::Relaxed);
                for i in 0..10 {
                    // Failing: half the calls fail (50x the 1% budget).
                    let _ = place_order(fail && i & 1 == 0);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    stamp("healthy traffic starts (100 calls/s, no errors)");
    prometheus.wait(
        Duration::from_secs(30),
        "the long-window ratio recorded",
        |p| {
            let r = p
                .query(r#"tally_slo:error_ratio:rate20s{slo="place_order-success"}"#)?
                .ok()?;
            (r.len() == 1 && value(&r[0]) == 0.0).then_some(())
        },
    );
    stamp("error ratio over 20 s recorded: 0");
    let healthy_until = Instant::now() + Duration::from_secs(8);
    while Instant::now() < healthy_until {
        let alerts = order_alerts(&prometheus).unwrap_or_default();
        assert!(
            alerts.is_empty(),
            "an alert under healthy traffic: {alerts:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    stamp("8 s more of healthy traffic: no alert");

    failing.store(true, std::sync::atomic::Ordering::Relaxed);
    stamp("errors start (50% of calls)");
    let alert = prometheus.wait(Duration::from_secs(40), "the alert firing", |p| {
        order_alerts(p)?
            .into_iter()
            .find(|a| a["state"] == "firing")
    });
    stamp("SLOErrorBudgetBurn firing");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    driver.join().unwrap();
    assert_eq!(alert["labels"]["alertname"], "SLOErrorBudgetBurn");
    assert_eq!(alert["labels"]["severity"], "page");
    assert_eq!(alert["labels"]["function"], "place_order");
    let ratio = prometheus
        .query(r#"tally_slo:error_ratio:rate5s{slo="place_order-success"}"#)
        .unwrap()
        .unwrap();
    println!(
        "alert: {alert}\nshort-window error ratio: {}",
        value(&ratio[0])
    );
    assert!(value(&ratio[0]) > 0.144, "{ratio:?}");
}
