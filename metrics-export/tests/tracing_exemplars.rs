//! Exemplars from `tracing` (tally-core's feature `tracing`), end to end:
//! an instrumented function and a `TracedCounter` increment inside a span
//! keep the span's id as their exemplar without the caller passing it;
//! a real Prometheus 2.42 with `--enable-feature=exemplar-storage`
//! scraping the registry returns that id from `/api/v1/query_exemplars`.
//! Outside a span nothing is attached. With a `tracing-opentelemetry`
//! layer (tally-core's feature `opentelemetry`), the exemplar carries the
//! span's OpenTelemetry trace and span ids.

#![cfg(feature = "http")]

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

#[tally_derive::instrument(crate = "crate::shim")]
fn refund(cents: u64) -> u64 {
    cents
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
    // (`refund` belongs to the other test, running alongside.)
    assert!(snapshot
        .families
        .iter()
        .flat_map(|f| f.series.iter().map(move |s| (f, s)))
        .filter(|(f, s)| !f.label_pairs(s).any(|p| p == ("function", "refund")))
        .all(|(_, s)| s.exemplars.is_empty()));

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

#[test]
fn opentelemetry_ids_when_the_subscriber_has_the_layer() {
    use opentelemetry::trace::{TraceContextExt, TracerProvider};
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    if skip() {
        return;
    }
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("tally-test")));
    let _guard = tracing::subscriber::set_default(subscriber);

    let registry = Arc::new(Registry::new());
    tally_core::instrument::register(&registry).unwrap();
    let span = tracing::span!(tracing::Level::INFO, "refund");
    let (trace_id, span_id) = {
        let context = span.context();
        let otel = context.span();
        let sc = otel.span_context();
        (sc.trace_id().to_string(), sc.span_id().to_string())
    };
    assert_eq!(trace_id.len(), 32);
    span.in_scope(|| refund(5));

    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(registry.clone()).unwrap())
        .start()
        .unwrap();
    let prometheus = Prometheus::start(
        "otel-exemplars",
        server.local_addr(),
        None,
        Some("exemplar-storage"),
    );
    let found = prometheus.wait(Duration::from_secs(40), "the OpenTelemetry trace id", |p| {
        p.exemplars(r#"function_calls_duration_seconds_bucket{function="refund"}"#)?
            .iter()
            .flat_map(|s| s["exemplars"].as_array().cloned().unwrap_or_default())
            .find(|e| e["labels"]["trace_id"] == trace_id.as_str())
    });
    println!("refund: {found}");
    assert_eq!(found["labels"]["span_id"], span_id.as_str());
}
