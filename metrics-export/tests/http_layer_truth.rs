//! issue 21: the HTTP layer tells the truth. A panicking handler is a
//! 500 with its duration; sizes are the bytes read and sent, not the
//! declared ones; the metrics endpoints are not measured unless asked;
//! label combinations never recorded are not exposed.
#![cfg(feature = "axum")]

mod http_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing;
use axum::Router;
use http_support::*;
use tally_core::{Registry, RegistrySnapshot};
use tally_export::{axum_router, Handler, HttpMetricsLayer};

/// Series of the layer's families in a snapshot.
fn layer_series(s: &RegistrySnapshot) -> usize {
    s.families
        .iter()
        .filter(|f| f.name.starts_with("http_server_"))
        .map(|f| f.series.len())
        .sum()
}

/// A three-route app with the metrics endpoints merged in.
fn three_routes(layer: HttpMetricsLayer, registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/users/{id}", routing::get(|| async { "a user" }))
        .route("/orders", routing::get(|| async { "orders" }))
        .route("/health", routing::get(|| async { "ok" }))
        .merge(axum_router(Arc::new(Handler::new(registry).unwrap())))
        .layer(layer)
}

#[test]
fn a_three_route_app_exposes_only_what_it_recorded() {
    let registry = Arc::new(Registry::new());
    let layer = HttpMetricsLayer::new(&registry).unwrap();
    let server = Serving::start(three_routes(layer, registry.clone()));
    for path in ["/users/1", "/users/2", "/orders", "/health"] {
        assert_eq!(get(server.addr, path, &[]).status, 200);
    }
    for path in ["/metrics", "/-/metrics", "/-/metrics.json", "/debug/vars"] {
        let _ = get(server.addr, path, &[]);
    }
    let s = registry.snapshot();
    let series = layer_series(&s);
    eprintln!("3-route app, 4 requests + 4 scrapes: {series} layer series");
    for f in s
        .families
        .iter()
        .filter(|f| f.name.starts_with("http_server_"))
    {
        eprintln!("  {}: {}", f.name, f.series.len());
    }
    // requests: 3 (one per route, GET 2xx); duration, request and
    // response sizes: 3 each; active: 1 (GET).
    assert_eq!(series, 3 + 3 + 1 + 3 + 3);
    let requests = s.family("http_server_requests_total").unwrap();
    assert_eq!(requests.series.len(), 3);
    for route in ["/metrics", "/-/metrics", "/-/metrics.json", "/debug/vars"] {
        let found = s.find_all("http_server_requests_total", &[("route", route)]);
        assert!(found.is_empty(), "{route}");
    }
}

#[test]
fn metrics_endpoints_are_measured_when_asked() {
    let registry = Arc::new(Registry::new());
    let layer = HttpMetricsLayer::new(&registry)
        .unwrap()
        .measure_metrics_endpoints(true);
    let server = Serving::start(three_routes(layer, registry.clone()));
    assert_eq!(get(server.addr, "/metrics", &[]).status, 200);
    let s = registry.snapshot();
    assert_eq!(
        s.value(
            "http_server_requests_total",
            &[("method", "GET"), ("status", "2xx"), ("route", "/metrics")]
        ),
        Some(1.0)
    );
}

#[test]
fn a_panicking_handler_is_a_timed_500() {
    let registry = Arc::new(Registry::new());
    let layer = HttpMetricsLayer::new(&registry).unwrap();
    let app = Router::new()
        .route(
            "/panic",
            routing::get(|| async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if std::hint::black_box(true) {
                    panic!("handler bug");
                }
                "unreachable"
            }),
        )
        .route("/ok", routing::get(|| async { "ok" }))
        .layer(layer);
    let server = Serving::start(app);
    // The client gets a 500, and the server keeps serving.
    assert_eq!(get(server.addr, "/panic", &[]).status, 500);
    assert_eq!(get(server.addr, "/ok", &[]).status, 200);
    let s = registry.snapshot();
    let labels = [("method", "GET"), ("status", "5xx"), ("route", "/panic")];
    assert_eq!(s.value("http_server_requests_total", &labels), Some(1.0));
    let duration = s
        .find(
            "http_server_request_duration_seconds",
            &[("method", "GET"), ("route", "/panic")],
        )
        .unwrap();
    assert_eq!(duration.count(), Some(1));
    assert!(duration.sum().unwrap() >= 0.049, "{:?}", duration.sum());
    assert_eq!(s.sum("http_server_active_requests", &[]), Some(0.0));
}

/// Polls `read` until it returns `Some`, for at most 10 s.
fn eventually<T>(what: &str, mut read: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = read() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: never");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Three uploads declaring 1 MB, each aborted after 1,000 bytes: the
/// request size is the 3,000 bytes read, not 3 MB.
#[test]
fn request_sizes_are_the_bytes_read() {
    let registry = Arc::new(Registry::new());
    let layer = HttpMetricsLayer::new(&registry).unwrap();
    let app = Router::new()
        .route(
            "/upload",
            routing::post(|body: String| async move { body.len().to_string() }),
        )
        .layer(layer);
    let server = Serving::start(app);
    for _ in 0..3 {
        let mut client = TcpStream::connect(server.addr).unwrap();
        client
            .write_all(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
            .unwrap();
        client.write_all(&[b'a'; 1000]).unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        let _ = client.read_to_end(&mut rest);
    }
    // A complete upload is its length.
    let body = "x".repeat(5000);
    let head = format!(
        "POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(parse(&raw(server.addr, head.as_bytes())).status, 200);
    let size = || {
        let s = registry.snapshot();
        let f = s.find(
            "http_server_request_body_size_bytes",
            &[("method", "POST"), ("route", "/upload")],
        )?;
        Some((f.count()?, f.sum()?))
    };
    eventually("4 uploads recorded", || size().filter(|(c, _)| *c == 4));
    assert_eq!(size(), Some((4, 8000.0)));
}

/// A client that reads 1,000 bytes of a 64 MiB response and leaves: the
/// response size is what was handed to the server, far from 64 MiB.
#[test]
fn response_sizes_stop_where_the_client_left() {
    const TOTAL: u64 = 64 << 20;
    let registry = Arc::new(Registry::new());
    let layer = HttpMetricsLayer::new(&registry).unwrap();
    let app = Router::new()
        .route(
            "/big",
            routing::get(|| async { axum::body::Body::new(Chunks { left: TOTAL }) }),
        )
        .layer(layer);
    let server = Serving::start(app);
    let mut client = TcpStream::connect(server.addr).unwrap();
    client
        .write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 1000];
    client.read_exact(&mut first).unwrap();
    drop(client);
    let sent = eventually("the response recorded", || {
        let s = registry.snapshot();
        let f = s.find(
            "http_server_response_body_size_bytes",
            &[("method", "GET"), ("route", "/big")],
        )?;
        (f.count()? == 1).then(|| f.sum()).flatten()
    });
    eprintln!("client read 1000 bytes of 64 MiB and left: {sent} bytes recorded");
    assert!(sent < (TOTAL / 2) as f64, "{sent}");
    let s = registry.snapshot();
    assert_eq!(s.sum("http_server_active_requests", &[]), Some(0.0));
}

/// A body of `left` bytes in 64 KiB frames, made as it is polled.
struct Chunks {
    left: u64,
}

impl http_body::Body for Chunks {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        if self.left == 0 {
            return std::task::Poll::Ready(None);
        }
        let n = self.left.min(65536);
        self.left -= n;
        let frame = http_body::Frame::data(bytes::Bytes::from(vec![b'z'; n as usize]));
        std::task::Poll::Ready(Some(Ok(frame)))
    }
}
