//! HTTP behaviour of the handler through the standalone server, on
//! loopback: negotiation, gzip, auth, the scrape cap, timeouts, malformed
//! requests, panics, shutdown and self-telemetry.

#![cfg(feature = "http")]

mod http_support;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use http_support::*;
use tally_core::{
    CollectError, Collected, Computed, Counter, Desc, Histogram, HistogramConfig, LabelDesc,
    LabelSet, Metric, MetricKind, Registry, RegistryError,
};
use tally_export::{Auth, Handler, HandlerConfig, ServeOptions, Server, ServerHandle};

/// A registry with `demo_requests_total` = 7.
fn demo_registry() -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    let requests = registry
        .register(
            Desc::new("demo_requests_total", "Requests."),
            Counter::<()>::new(),
        )
        .unwrap();
    requests.add(7);
    registry
}

fn start(registry: Arc<Registry>, config: HandlerConfig) -> ServerHandle {
    Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::with_config(registry, config).unwrap())
        // The handler's behaviour alone (series counts below); the
        // process families are tested in tests/process.rs.
        .process_metrics(false)
        .options(
            ServeOptions::default()
                .read_timeout(Duration::from_secs(1))
                .write_timeout(Duration::from_secs(1)),
        )
        .start()
        .unwrap()
}

fn start_default() -> (ServerHandle, SocketAddr) {
    let server = start(demo_registry(), HandlerConfig::default());
    let addr = server.local_addr();
    (server, addr)
}

#[test]
fn negotiates_the_format_of_each_scraper() {
    let (_server, addr) = start_default();
    let cases = [
        (Some(PROMETHEUS_ACCEPT), "application/openmetrics-text; version=1.0.0"),
        (Some(PROMETHEUS_NATIVE_ACCEPT), "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"),
        (Some(CURL_ACCEPT), "text/plain; version=0.0.4"),
        (Some(BROWSER_ACCEPT), "text/plain; version=0.0.4"),
        (None, "text/plain; version=0.0.4"),
        (Some("application/json"), "application/json"),
    ];
    for (accept, expected) in cases {
        let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("Accept", *a)).collect();
        let reply = get(addr, "/metrics", &headers);
        assert_eq!(reply.status, 200, "{accept:?}");
        let content_type = reply.header("content-type").unwrap();
        assert!(
            content_type.starts_with(expected),
            "Accept {accept:?}: got {content_type}, want {expected}"
        );
        assert!(reply.header("content-encoding").is_none());
        if content_type.starts_with("text/plain") {
            assert!(
                reply.text().contains("demo_requests_total 7\n"),
                "{}",
                reply.text()
            );
        }
        if content_type.starts_with("application/openmetrics-text") {
            assert!(reply.text().ends_with("# EOF\n"), "{}", reply.text());
            assert!(reply.text().contains("demo_requests_total 7"));
        }
    }
}

#[test]
fn debug_vars_is_json_and_health_is_plain() {
    let (_server, addr) = start_default();
    let reply = get(addr, "/debug/vars", &[("Accept", "text/html")]);
    assert_eq!(reply.status, 200);
    assert!(reply
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let health = get(addr, "/-/healthy", &[]);
    assert_eq!((health.status, health.text().as_str()), (200, "OK\n"));
    let query = get(addr, "/metrics?x=1", &[]);
    assert_eq!(query.status, 200);
}

#[test]
fn unknown_path_is_404_and_wrong_method_is_405() {
    let (_server, addr) = start_default();
    assert_eq!(get(addr, "/nope", &[]).status, 404);
    assert_eq!(get(addr, "/-/metrics/", &[]).status, 404);
    let post = request(addr, "POST", "/metrics", &[("Content-Length", "0")]);
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    let head = request(addr, "HEAD", "/metrics", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[test]
fn gzips_when_accept_encoding_allows() {
    let (_server, addr) = start_default();
    for accept_encoding in ["gzip", "gzip, deflate, br", "*", "br;q=1.0, gzip;q=0.5"] {
        let reply = get(addr, "/metrics", &[("Accept-Encoding", accept_encoding)]);
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("content-encoding"),
            Some("gzip"),
            "{accept_encoding}"
        );
        assert!(reply.header("vary").unwrap().contains("Accept-Encoding"));
        assert!(gunzip(&reply.body).contains("demo_requests_total 7\n"));
    }
    for accept_encoding in ["identity", "gzip;q=0", "br"] {
        let reply = get(addr, "/metrics", &[("Accept-Encoding", accept_encoding)]);
        assert_eq!(reply.header("content-encoding"), None, "{accept_encoding}");
        assert!(reply.text().contains("demo_requests_total 7\n"));
    }
    // Prometheus' own request: OpenMetrics, gzipped.
    let reply = get(
        addr,
        "/metrics",
        &[("Accept", PROMETHEUS_ACCEPT), ("Accept-Encoding", "gzip")],
    );
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
    assert!(gunzip(&reply.body).ends_with("# EOF\n"));
}

#[test]
fn bearer_and_basic_auth() {
    let auth = Auth::bearer("t0ken").with_basic("prom", "pa:ss");
    let server = start(demo_registry(), HandlerConfig::default().auth(auth));
    let addr = server.local_addr();
    let ok = |headers: &[(&str, &str)]| get(addr, "/metrics", headers).status;
    assert_eq!(ok(&[("Authorization", "Bearer t0ken")]), 200);
    assert_eq!(ok(&[("Authorization", "bearer t0ken")]), 200);
    // base64("prom:pa:ss")
    assert_eq!(ok(&[("Authorization", "Basic cHJvbTpwYTpzcw==")]), 200);
    let refused = get(addr, "/metrics", &[]);
    assert_eq!(refused.status, 401);
    let challenges = refused.headers("www-authenticate");
    assert!(
        challenges.iter().any(|c| c.starts_with("Bearer")),
        "{challenges:?}"
    );
    assert!(
        challenges.iter().any(|c| c.starts_with("Basic")),
        "{challenges:?}"
    );
    assert!(!refused.text().contains("demo_requests"));
    for wrong in [
        "Bearer t0ke",
        "Bearer t0kenn",
        "Bearer ",
        "Basic cHJvbTpwYTpzcw",
        "Basic cHJvbTp3cm9uZw==",
        "Token t0ken",
        "t0ken",
    ] {
        assert_eq!(ok(&[("Authorization", wrong)]), 401, "{wrong}");
    }
    assert_eq!(get(addr, "/debug/vars", &[]).status, 401);
    // The health endpoint stays open.
    assert_eq!(get(addr, "/-/healthy", &[]).status, 200);
}

/// A gate a computed metric waits on while closed, counting entries.
#[derive(Default)]
struct Gate {
    state: Mutex<(bool, usize)>,
    changed: Condvar,
}

impl Gate {
    fn pass(&self) {
        let mut state = self.state.lock().unwrap();
        state.1 += 1;
        self.changed.notify_all();
        while !state.0 {
            state = self.changed.wait(state).unwrap();
        }
    }

    fn wait_entered(&self, n: usize) {
        let state = self.state.lock().unwrap();
        let (_state, timeout) = self
            .changed
            .wait_timeout_while(state, Duration::from_secs(10), |s| s.1 < n)
            .unwrap();
        assert!(!timeout.timed_out(), "scrape never reached the gate");
    }

    fn open(&self) {
        self.state.lock().unwrap().0 = true;
        self.changed.notify_all();
    }
}

#[test]
fn past_the_scrape_cap_is_503_at_once_and_same_variant_scrapes_share_one_encoding() {
    let registry = demo_registry();
    let gate = Arc::new(Gate::default());
    let g = gate.clone();
    registry
        .register(
            Desc::new("slow", "Waits on the gate."),
            Computed::gauge(move || {
                g.pass();
                1.0
            }),
        )
        .unwrap();
    let server = start(registry, HandlerConfig::default().max_concurrent_scrapes(2));
    let addr = server.local_addr();
    // Two variants (plain and gzipped text) take the two slots.
    let blocked: Vec<_> = [None, Some("gzip")]
        .into_iter()
        .map(|encoding| {
            std::thread::spawn(move || {
                let headers: Vec<_> = encoding.iter().map(|e| ("Accept-Encoding", *e)).collect();
                get(addr, "/metrics", &headers).status
            })
        })
        .collect();
    gate.wait_entered(2);
    // A third scrape of a variant in progress joins it: no 503, and no
    // third encoding (the gate counts entries).
    let joined = std::thread::spawn(move || get(addr, "/metrics", &[]));
    let started = Instant::now();
    let refused = get(addr, "/metrics", &[("Accept", PROMETHEUS_ACCEPT)]);
    assert_eq!(refused.status, 503);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(get(addr, "/debug/vars", &[]).status, 503);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(get(addr, "/-/healthy", &[]).status, 200);
    // Let the joining scrape reach the server before the gate opens.
    std::thread::sleep(Duration::from_millis(300));
    gate.open();
    for scrape in blocked {
        assert_eq!(scrape.join().unwrap(), 200);
    }
    let joined = joined.join().unwrap();
    assert_eq!(joined.status, 200);
    assert!(joined.text().contains("demo_requests_total 7\n"));
    assert_eq!(gate.state.lock().unwrap().1, 2, "the joined scrape encoded");
    let reply = get(addr, "/metrics", &[]);
    assert_eq!(reply.status, 200);
    let text = reply.text();
    assert!(
        text.contains(r#"tally_scrapes_total{format="openmetrics",code="503"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"tally_scrapes_total{format="prometheus_text",code="200"} 3"#),
        "{text}"
    );
    assert!(text.contains(r#"tally_scrapes_total{format="json",code="503"} 1"#));
}

#[test]
fn stalled_and_idle_clients_are_dropped_while_scrapes_go_on() {
    let (_server, addr) = start_default();
    let mut partial = TcpStream::connect(addr).unwrap();
    partial
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n")
        .unwrap();
    let mut idle = TcpStream::connect(addr).unwrap();
    let mut trickle = TcpStream::connect(addr).unwrap();
    let started = Instant::now();
    // Scrapes keep succeeding while the three hold their connections.
    for i in 0..5 {
        let t = Instant::now();
        let reply = get(addr, "/metrics", &[]);
        assert_eq!(reply.status, 200);
        assert!(
            t.elapsed() < Duration::from_millis(900),
            "scrape {i} waited"
        );
        let _ = trickle.write_all(b"G");
        std::thread::sleep(Duration::from_millis(150));
    }
    // The server's read timeout is 1 s: each is closed soon after.
    for (name, stream) in [
        ("partial", &mut partial),
        ("idle", &mut idle),
        ("trickle", &mut trickle),
    ] {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = Vec::new();
        match stream.read_to_end(&mut buf) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!("{name}: connection not closed by the server: {e}"),
        }
        let text = String::from_utf8_lossy(&buf);
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{name}: {text}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(get(addr, "/metrics", &[]).status, 200);
}

#[test]
fn a_client_that_stops_reading_is_dropped_by_the_write_timeout() {
    let registry = Arc::new(Registry::new());
    // A 24 MiB HELP text: more than the socket buffers hold.
    let help = "x".repeat(24 << 20);
    registry
        .register(Desc::new("big", help), Counter::<()>::new())
        .unwrap();
    let server = start(registry, HandlerConfig::default().telemetry(false));
    let addr = server.local_addr();
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(get(addr, "/-/healthy", &[]).status, 200);
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut received = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match slow.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => received += n,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("connection still open after the write timeout: {e}"),
        }
    }
    assert!(
        received < 24 << 20,
        "the whole body arrived ({received} bytes)"
    );
}

#[test]
fn malformed_requests_get_400_and_the_server_keeps_serving() {
    let (_server, addr) = start_default();
    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /metrics HTTP/9.9\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n",
        b"\x00\x01\x02\x03\r\n\r\n",
    ] {
        let reply = raw(addr, garbage);
        let text = String::from_utf8_lossy(&reply);
        assert!(
            text.starts_with("HTTP/1.1 400") || text.starts_with("HTTP/1.1 505"),
            "{garbage:?}: {text}"
        );
        assert_eq!(get(addr, "/metrics", &[]).status, 200);
    }
    // A head larger than the limit is refused, not buffered.
    let huge = format!(
        "GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let reply = raw(addr, huge.as_bytes());
    let text = String::from_utf8_lossy(&reply);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 4"),
        "{}",
        &text[..text.len().min(100)]
    );
    assert_eq!(get(addr, "/metrics", &[]).status, 200);
}

/// A family whose read panics while `EXPLODE` is set.
struct Exploding(Arc<AtomicBool>);

impl Metric for Exploding {
    fn kind(&self) -> MetricKind {
        MetricKind::Gauge
    }

    fn labels(&self) -> &'static LabelDesc {
        <() as LabelSet>::DESC
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        if self.0.load(Ordering::SeqCst) {
            panic!("exploding metric (expected in this test)");
        }
        Ok(Collected::default())
    }
}

#[test]
fn a_panicking_scrape_is_500_and_the_server_survives() {
    let registry = demo_registry();
    let explode = Arc::new(AtomicBool::new(true));
    registry
        .register(
            Desc::new("exploding", "Panics."),
            Exploding(explode.clone()),
        )
        .unwrap();
    let server = start(registry, HandlerConfig::default());
    let addr = server.local_addr();
    for _ in 0..3 {
        assert_eq!(get(addr, "/metrics", &[]).status, 500);
    }
    assert_eq!(get(addr, "/-/healthy", &[]).status, 200);
    explode.store(false, Ordering::SeqCst);
    let reply = get(addr, "/metrics", &[]);
    assert_eq!(reply.status, 200);
    assert!(reply
        .text()
        .contains(r#"tally_scrapes_total{format="prometheus_text",code="500"} 3"#));
}

#[test]
fn self_telemetry_reports_series_clamps_and_failures() {
    let registry = demo_registry();
    let small = registry
        .register(
            Desc::new("small", "Tiny range."),
            Histogram::<()>::with_config(HistogramConfig::raw(1, 1000)).unwrap(),
        )
        .unwrap();
    small.record(5);
    small.record(1_000_000);
    small.record(2_000_000);
    registry
        .register(
            Desc::new("broken", "Always panics."),
            Computed::gauge(|| panic!("broken computed metric (expected in this test)")),
        )
        .unwrap();
    let server = start(registry.clone(), HandlerConfig::default());
    let addr = server.local_addr();
    assert_eq!(get(addr, "/metrics", &[]).status, 200);
    let text = get(addr, "/metrics", &[]).text();
    assert!(text.contains("tally_clamped_values 2\n"), "{text}");
    assert!(text.contains("tally_computed_failures_total 1\n"), "{text}");
    assert!(
        text.contains("tally_scrape_duration_seconds_count 1\n"),
        "{text}"
    );
    assert!(text.contains(r#"tally_scrapes_total{format="prometheus_text",code="200"} 1"#));
    // Series of the first scrape: requests 1, small 1, and the 5
    // telemetry families (scrapes_total has 16 series; the duration
    // histogram, unlabeled, is listed with zeros before its first record): 22.
    let series = text
        .lines()
        .find_map(|l| l.strip_prefix("tally_scrape_series "))
        .unwrap();
    assert_eq!(series, "22", "{text}");
    // A second handler on the same registry cannot register them again.
    assert!(matches!(
        Handler::new(registry.clone()),
        Err(RegistryError::Duplicate { .. })
    ));
    // ... unless telemetry is off.
    assert!(Handler::with_config(registry, HandlerConfig::default().telemetry(false)).is_ok());
}

#[test]
fn shutdown_is_prompt_with_a_keep_alive_connection_open() {
    let (server, addr) = start_default();
    let mut keep_alive = TcpStream::connect(addr).unwrap();
    keep_alive
        .write_all(b"GET /-/healthy HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 256];
    let n = keep_alive.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let started = Instant::now();
    server.shutdown();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}

#[test]
fn at_the_connection_cap_the_longest_idle_connection_makes_room() {
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(demo_registry()).unwrap())
        .options(
            ServeOptions::default()
                .read_timeout(Duration::from_secs(5))
                .max_connections(2),
        )
        .start()
        .unwrap();
    let addr = server.local_addr();
    let mut idle: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(100));
    // Served at once, long before the idle ones' read timeout.
    let started = Instant::now();
    assert_eq!(get(addr, "/metrics", &[]).status, 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    // The first idle connection (idle the longest) was closed for it.
    idle[0]
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut buf = Vec::new();
    match idle[0].read_to_end(&mut buf) {
        Ok(_) => assert!(buf.is_empty(), "{}", String::from_utf8_lossy(&buf)),
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}"),
    }
}

#[test]
fn debug_vars_body_is_valid_json() {
    let (_server, addr) = start_default();
    let reply = get(addr, "/debug/vars", &[("Accept-Encoding", "gzip")]);
    let json: serde_json::Value = serde_json::from_str(&gunzip(&reply.body)).unwrap();
    assert!(json.to_string().contains("demo_requests"), "{json}");
}

#[test]
fn when_every_connection_is_busy_health_is_answered_and_scrapes_get_503() {
    let registry = demo_registry();
    let gate = Arc::new(Gate::default());
    let g = gate.clone();
    registry
        .register(
            Desc::new("slow", "Waits on the gate."),
            Computed::gauge(move || {
                g.pass();
                1.0
            }),
        )
        .unwrap();
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(registry).unwrap())
        .options(ServeOptions::default().max_connections(2))
        .start()
        .unwrap();
    let addr = server.local_addr();
    // Two scrapes (of two variants) hold both connections, busy.
    let busy: Vec<_> = [None, Some("gzip")]
        .into_iter()
        .map(|encoding| {
            std::thread::spawn(move || {
                let headers: Vec<_> = encoding.iter().map(|e| ("Accept-Encoding", *e)).collect();
                get(addr, "/metrics", &headers).status
            })
        })
        .collect();
    gate.wait_entered(2);
    let health = get(addr, "/-/healthy", &[]);
    assert_eq!(health.status, 200);
    assert_eq!(health.header("connection"), Some("close"));
    let refused = get(addr, "/metrics", &[("Accept", PROMETHEUS_ACCEPT)]);
    assert_eq!(refused.status, 503);
    assert_eq!(refused.header("retry-after"), Some("1"));
    gate.open();
    for scrape in busy {
        assert_eq!(scrape.join().unwrap(), 200);
    }
    assert_eq!(get(addr, "/metrics", &[]).status, 200);
}
