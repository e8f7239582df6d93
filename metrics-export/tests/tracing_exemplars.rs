//! Exemplars from `tracing` (tally-core's feature `tracing`), end to end:
//! an instrumented function and a `TracedCounter` increment inside a span
//! keep the span's id as their exemplar without the caller passing it;
//! a real Prometheus 2.42 with `--enable-feature=exemplar-storage`
//! scraping the registry returns that id from `/api/v1/query_exemplars`.
//! Outside a span nothing is attached.

mod http_support;
mod slo_support;

use std::sync::Arc;
use std::time::Duration;

use slo_support::{skip, Prometheus};
use tally_core::{Counter, Desc, Registry, TracedCounter};
use tally_export::{Handler, Server};
use tracing_subscriber::layer::SubscriberExt;

mod shim {
    pub mod __private {
        pub use tally_core::instrument::__private as instrument;
    }
}

#[tally_derive::instrument(crate = "crate::shim")]
fn charge(cents: u64) -> Result<u64, String> {
    std::thread::sleep(Duration::from_millis(2));
    Ok(cents)
}

fn hex(id: &tracing::Id) -> String {
    format!("{:016x}", id.into_u64())
}

#[test]
fn the_current_span_becomes_the_exemplar_in_prometheus() {
    if skip() {
        return;
    }
    let subscriber =
        tracing_subscriber::registry().with(tracing_subscriber::layer::Identity::new());
    let _guard = tracing::subscriber::set_default(subscriber);

    let registry = Arc::new(Registry::new());
    tally_core::instrument::register(&registry).unwrap();
    let refunds = registry
        .register(Desc::new("shop_refunds", "Refunds."), Counter::<()>::new())
        .unwrap();

    // Outside a span: no exemplar.
    charge(1).unwrap();
    refunds.with(()).inc_traced();
    let snapshot = registry.snapshot();
    assert!(snapshot
        .families
        .iter()
        .flat_map(|f| &f.series)
        .all(|s| s.exemplars.is_empty()));

    // Inside a span: its id, with nothing passed.
    let span = tracing::span!(tracing::Level::INFO, "checkout");
    let id = hex(&span.id().expect("the registry subscriber gives spans ids"));
    span.in_scope(|| {
        charge(250).unwrap();
        refunds.with(()).inc_traced();
    });
    let snapshot = registry.snapshot();
    let refund = &snapshot
        .families
        .iter()
        .find(|f| f.name == "shop_refunds")
        .unwrap()
        .series[0];
    assert_eq!(refund.exemplars[0].trace_id, id);

    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(registry.clone()).unwrap())
        .start()
        .unwrap();
    let prometheus = Prometheus::start(
        "exemplars",
        server.local_addr(),
        None,
        Some("exemplar-storage"),
    );
    for query in [
        "function_calls_duration_seconds_bucket",
        "function_calls_total",
        "shop_refunds_total",
    ] {
        let found = prometheus.wait(Duration::from_secs(40), query, |p| {
            let series = p.exemplars(query)?;
            series
                .iter()
                .flat_map(|s| s["exemplars"].as_array().cloned().unwrap_or_default())
                .find(|e| e["labels"]["trace_id"] == id.as_str())
        });
        println!("{query}: {found}");
        assert_eq!(found["labels"]["span_id"], id.as_str());
    }
}
