//! The HTTP server layer (feature `axum`) driven by real requests: an
//! axum app served on loopback, its families read back from the
//! registry and from the exposition text.
#![cfg(feature = "axum")]

mod http_support;
mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::routing;
use axum::Router;
use http_support::*;
use tally_core::{dynamic_label, Registry};
use tally_export::{axum_router, encode, Format, Handler, HttpMetricsLayer};

fn app(layer: HttpMetricsLayer, registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/users/{id}", routing::get(|| async { "a user" }))
        .route("/echo", routing::post(|body: String| async move { body }))
        .route(
            "/slow",
            routing::get(|| async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                "slow"
            }),
        )
        .route(
            "/fail",
            routing::get(|| async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "no") }),
        )
        .merge(axum_router(Arc::new(Handler::new(registry).unwrap())))
        .layer(layer)
}

#[test]
fn records_the_standard_families_for_real_requests() {
    let registry = Arc::new(Registry::new());
    let layer = HttpMetricsLayer::new(&registry).unwrap();
    let server = Serving::start(app(layer, registry.clone()));
    let addr = server.addr;

    for id in 1..=3 {
        assert_eq!(get(addr, &format!("/users/{id}"), &[]).status, 200);
    }
    let echo = {
        let body = "hello world";
        let head = format!(
            "POST /echo HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        parse(&raw(addr, head.as_bytes()))
    };
    assert_eq!((echo.status, echo.text().as_str()), (200, "hello world"));
    assert_eq!(get(addr, "/fail", &[]).status, 500);
    assert_eq!(get(addr, "/no/such/page/12345", &[]).status, 404);
    assert_eq!(get(addr, "/users", &[]).status, 404);
    assert_eq!(request(addr, "BREW", "/users/7", &[]).status, 405);

    // In flight while /slow runs, none after.
    let slow = std::thread::spawn(move || get(addr, "/slow", &[]).status);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while registry
        .snapshot()
        .value("http_server_active_requests", &[("method", "GET")])
        != Some(1.0)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "/slow never showed as active"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(slow.join().unwrap(), 200);

    let s = registry.snapshot();
    let requests = |method, status, route| {
        s.value(
            "http_server_requests_total",
            &[("method", method), ("status", status), ("route", route)],
        )
    };
    assert_eq!(requests("GET", "2xx", "/users/{id}"), Some(3.0));
    assert_eq!(requests("POST", "2xx", "/echo"), Some(1.0));
    assert_eq!(requests("GET", "5xx", "/fail"), Some(1.0));
    assert_eq!(requests("GET", "4xx", "unmatched"), Some(2.0));
    assert_eq!(requests("_OTHER", "4xx", "/users/{id}"), Some(1.0));
    assert_eq!(requests("GET", "2xx", "/slow"), Some(1.0));
    assert_eq!(s.sum("http_server_requests_total", &[]), Some(9.0));
    assert_eq!(s.sum("http_server_active_requests", &[]), Some(0.0));
    // The raw paths never became label values.
    let family = s.family("http_server_requests_total").unwrap();
    for found in s.find_all("http_server_requests_total", &[]) {
        for (_, value) in found.labels() {
            assert!(!value.contains("12345") && value != "/users/1", "{value}");
        }
    }
    assert!(family.series.len() <= 8 * 5 * 6, "{}", family.series.len());

    let duration = |route| {
        s.find(
            "http_server_request_duration_seconds",
            &[("method", "GET"), ("route", route)],
        )
        .unwrap()
    };
    assert_eq!(duration("/users/{id}").count(), Some(3));
    let slow = duration("/slow");
    assert!(
        slow.quantile(0.5).unwrap() >= 0.29,
        "{:?}",
        slow.quantile(0.5)
    );
    assert!(slow.sum().unwrap() >= 0.29 && slow.sum().unwrap() < 5.0);

    let sizes = |family, method, route| {
        s.find(family, &[("method", method), ("route", route)])
            .unwrap()
    };
    let echo_in = sizes("http_server_request_body_size_bytes", "POST", "/echo");
    assert_eq!((echo_in.count(), echo_in.sum()), (Some(1), Some(11.0)));
    let echo_out = sizes("http_server_response_body_size_bytes", "POST", "/echo");
    assert_eq!((echo_out.count(), echo_out.sum()), (Some(1), Some(11.0)));
    let users_out = sizes("http_server_response_body_size_bytes", "GET", "/users/{id}");
    assert_eq!((users_out.count(), users_out.sum()), (Some(3), Some(18.0)));
    let users_in = sizes("http_server_request_body_size_bytes", "GET", "/users/{id}");
    assert_eq!((users_in.count(), users_in.sum()), (Some(3), Some(0.0)));

    // The same values in the exposition the app serves.
    let text = get(addr, "/metrics", &[]).text();
    assert!(
        text.contains(
            "http_server_requests_total{method=\"GET\",status=\"2xx\",route=\"/users/{id}\"} 3\n"
        ),
        "{text}"
    );
    assert!(text.contains("# TYPE http_server_request_duration_seconds histogram\n"));
    drop(server);
}

dynamic_label!(
    /// A route label with room for `unmatched` and two routes.
    TinyRoute, name = "route", capacity = 3
);

#[test]
fn routes_past_the_capacity_share_the_overflow_value() {
    let registry = Registry::builder().prefix("api").build().unwrap();
    let registry = Arc::new(registry);
    let layer = HttpMetricsLayer::<TinyRoute>::with_route(&registry, "").unwrap();
    let app = Router::new()
        .route("/a", routing::get(|| async { "a" }))
        .route("/b", routing::get(|| async { "b" }))
        .route("/c", routing::get(|| async { "c" }))
        .route("/d", routing::get(|| async { "d" }))
        .layer(layer);
    let server = Serving::start(app);
    for path in ["/a", "/b", "/c", "/d", "/c"] {
        assert_eq!(get(server.addr, path, &[]).status, 200);
    }
    let s = registry.snapshot();
    let count = |route| {
        s.value(
            "api_http_server_requests_total",
            &[("method", "GET"), ("status", "2xx"), ("route", route)],
        )
    };
    assert_eq!(count("/a"), Some(1.0));
    assert_eq!(count("/b"), Some(1.0));
    assert_eq!(count("/c"), None);
    assert_eq!(count("__overflow__"), Some(3.0));
    // A second layer on the same registry is refused, not doubled.
    assert!(HttpMetricsLayer::<TinyRoute>::with_route(&registry, "").is_err());
}

#[test]
fn promtool_accepts_the_layer_families() {
    if support::skip_interop() {
        return;
    }
    // The layer's families alone (the handler's self-telemetry is not
    // under test here).
    let registry = Arc::new(Registry::new());
    let layer = HttpMetricsLayer::prefixed(&registry, "shop").unwrap();
    let app = Router::new()
        .route("/users/{id}", routing::get(|| async { "a user" }))
        .layer(layer);
    let server = Serving::start(app);
    assert_eq!(get(server.addr, "/users/1", &[]).status, 200);
    assert_eq!(get(server.addr, "/nope", &[]).status, 404);
    drop(server);
    let mut out = Vec::new();
    encode(Format::PrometheusText, &registry.snapshot(), &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(text.contains("shop_http_server_requests_total{"), "{text}");
    let output = support::run_tool("promtool", &["check", "metrics"], &out);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "promtool failed: {all}\n{text}");
    assert!(all.trim().is_empty(), "promtool: {all}\n{text}");
}

#[test]
fn a_request_whose_client_leaves_is_no_longer_active() {
    use std::io::Write;
    let registry = Arc::new(Registry::new());
    let layer = HttpMetricsLayer::new(&registry).unwrap();
    let server = Serving::start(app(layer, registry.clone()));
    let mut client = std::net::TcpStream::connect(server.addr).unwrap();
    client
        .write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let active = || {
        registry
            .snapshot()
            .value("http_server_active_requests", &[("method", "GET")])
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while active() != Some(1.0) {
        assert!(std::time::Instant::now() < deadline, "never active");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The client goes away before the 300 ms handler answers.
    drop(client);
    while active() != Some(0.0) {
        assert!(std::time::Instant::now() < deadline, "still active");
        std::thread::sleep(Duration::from_millis(5));
    }
    // No response was produced: nothing to count under a status.
    let s = registry.snapshot();
    assert_eq!(
        s.sum("http_server_requests_total", &[("route", "/slow")]),
        Some(0.0)
    );
}
