//! Content negotiation through the real server on loopback: each
//! scraper's exact `Accept` header gets a parseable body and a
//! Content-Type with its version (and `escaping` for 1.0.0 formats).

#![cfg(feature = "http")]

mod http_support;

use std::sync::Arc;

use http_support::*;
use tally_core::{Counter, Desc, Registry};
use tally_export::{Handler, Server};

/// Prometheus 3.x releases, default scrape protocols.
const PROMETHEUS_3: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
/// Prometheus 3.x, protobuf first.
const PROMETHEUS_3_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
/// VictoriaMetrics vmagent.
const VMAGENT: &str = "text/plain;version=0.0.4;q=1,*/*;q=0.1";

#[test]
fn each_scraper_gets_a_versioned_content_type() {
    let registry = Arc::new(Registry::new());
    registry
        .register(
            Desc::new("demo_requests_total", "Requests."),
            Counter::<()>::new(),
        )
        .unwrap()
        .add(3);
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(registry).unwrap())
        .process_metrics(false)
        .start()
        .unwrap();
    let addr = server.local_addr();
    let om = "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores";
    let text = "text/plain; version=0.0.4; charset=utf-8";
    let proto = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
    let cases = [
        (Some(PROMETHEUS_3), om),
        (Some(PROMETHEUS_ACCEPT), om),
        (Some(PROMETHEUS_3_NATIVE), proto),
        (Some(PROMETHEUS_NATIVE_ACCEPT), proto),
        (Some(VMAGENT), text),
        (Some(CURL_ACCEPT), text),
        (Some(BROWSER_ACCEPT), text),
        (Some("image/png"), text),
        (None, text),
        (
            Some("text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,*/*;q=0.5"),
            "text/plain; version=1.0.0; charset=utf-8; escaping=underscores",
        ),
    ];
    for (accept, expected) in cases {
        let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("Accept", *a)).collect();
        let reply = get(addr, "/metrics", &headers);
        assert_eq!(reply.status, 200, "{accept:?}");
        assert_eq!(reply.header("content-type"), Some(expected), "{accept:?}");
        if expected.starts_with("text/plain") {
            assert!(
                reply.text().contains("demo_requests_total 3\n"),
                "{}",
                reply.text()
            );
        } else if expected.starts_with("application/openmetrics-text") {
            assert!(reply.text().contains("demo_requests_total 3\n"));
            assert!(reply.text().ends_with("# EOF\n"));
        } else {
            assert!(!reply.body.is_empty());
        }
    }
    server.shutdown();
}
