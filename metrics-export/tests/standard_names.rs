//! A registry's prefix renames the application's families, never the
//! standard ones the ecosystem's dashboards know: the process families
//! and tally's own `tally_*` self-telemetry keep their names, with the
//! registry's constant labels still applied.

#![cfg(feature = "http")]

use std::sync::Arc;

use tally_core::{Counter, Desc, Registry};
use tally_export::{encode_prometheus_text, register_process_metrics, Handler};

#[test]
fn a_registry_prefix_leaves_standard_names_alone() {
    let registry = Arc::new(
        Registry::builder()
            .prefix("app")
            .const_label("region", "eu")
            .build()
            .unwrap(),
    );
    let orders = registry
        .register(Desc::new("orders", "Orders placed."), Counter::new())
        .unwrap();
    orders.inc();
    register_process_metrics(&registry).unwrap();
    // The handler registers its scrape telemetry into the registry.
    let _handler = Handler::new(registry.clone()).unwrap();

    let snapshot = registry.snapshot();
    let names: Vec<&str> = snapshot.families.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"app_orders"), "{names:?}");
    assert!(names.contains(&"tally_scrapes"), "{names:?}");
    assert!(
        names.contains(&"tally_scrape_duration_seconds"),
        "{names:?}"
    );
    if cfg!(target_os = "linux") {
        assert!(names.contains(&"process_start_time_seconds"), "{names:?}");
        assert!(names.contains(&"process_cpu_seconds"), "{names:?}");
    }
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("app_process") || n.starts_with("app_tally")),
        "{names:?}"
    );

    let mut text = Vec::new();
    encode_prometheus_text(&snapshot, &mut text);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("app_orders_total{region=\"eu\"} 1\n"),
        "{text}"
    );
    if cfg!(target_os = "linux") {
        assert!(
            text.contains("process_cpu_seconds_total{region=\"eu\"} "),
            "{text}"
        );
    }
}
