//! HEAD answers with the headers a GET would get, with no body, no
//! Content-Length (the length is not computed) and nothing snapshotted
//! or encoded: through the standalone server and the axum router.

#![cfg(feature = "http")]

mod http_support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use http_support::*;
use tally_core::{Computed, Counter, Desc, Registry};
use tally_export::{Handler, Server};

/// A registry with a counter and a computed gauge that counts its reads
/// (one per snapshot).
fn registry() -> (Arc<Registry>, Arc<AtomicUsize>) {
    let registry = Arc::new(Registry::new());
    registry
        .register(Desc::new("head_demo_total", "Demo."), Counter::<()>::new())
        .unwrap()
        .add(4);
    let reads = Arc::new(AtomicUsize::new(0));
    let r = reads.clone();
    registry
        .register(
            Desc::new("head_snapshots", "Reads of this gauge."),
            Computed::gauge(move || r.fetch_add(1, Ordering::SeqCst) as f64),
        )
        .unwrap();
    (registry, reads)
}

/// The raw head of a HEAD response (read to EOF: `Connection: close`),
/// and whatever followed it.
fn head(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> (Reply, usize) {
    let mut request = format!("HEAD {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let bytes = raw(addr, request.as_bytes());
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head")
        + 4;
    let mut reply = parse(&bytes[..end]);
    reply.body.clear();
    (reply, bytes.len() - end)
}

/// Sends HEAD and GET for each negotiated variant and compares them.
fn check_head_matches_get(addr: SocketAddr, reads: &AtomicUsize) {
    let variants: [&[(&str, &str)]; 4] = [
        &[],
        &[("Accept-Encoding", "gzip")],
        &[("Accept", PROMETHEUS_ACCEPT)],
        &[
            ("Accept", PROMETHEUS_NATIVE_ACCEPT),
            ("Accept-Encoding", "gzip"),
        ],
    ];
    for headers in variants {
        let before = reads.load(Ordering::SeqCst);
        let (head_reply, trailing) = head(addr, "/metrics", headers);
        assert_eq!(reads.load(Ordering::SeqCst), before, "HEAD took a snapshot");
        assert_eq!(trailing, 0, "HEAD sent a body");
        let get_reply = get(addr, "/metrics", headers);
        assert_eq!(head_reply.status, 200);
        assert_eq!(get_reply.status, 200);
        for name in ["content-type", "content-encoding", "vary"] {
            assert_eq!(
                head_reply.header(name),
                get_reply.header(name),
                "{name} for {headers:?}"
            );
        }
        // No length, or the right one (never `0` for a non-empty body).
        if let Some(length) = head_reply.header("content-length") {
            assert_eq!(length, get_reply.body.len().to_string(), "{headers:?}");
        }
        assert!(!get_reply.body.is_empty());
    }
    let (health, trailing) = head(addr, "/-/healthy", &[]);
    assert_eq!(health.status, 200);
    assert_eq!(trailing, 0);
    if let Some(length) = health.header("content-length") {
        assert_eq!(length, "3");
    }
    let (missing, _) = head(addr, "/nope", &[]);
    assert_eq!(missing.status, 404);
}

#[test]
fn head_through_the_server_has_get_headers_and_encodes_nothing() {
    let (registry, reads) = registry();
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::new(registry).unwrap())
        .start()
        .unwrap();
    check_head_matches_get(server.local_addr(), &reads);
}

#[cfg(feature = "axum")]
#[test]
fn head_through_the_axum_router_has_get_headers_and_encodes_nothing() {
    let (registry, reads) = registry();
    let app: axum::Router = axum::Router::new().merge(tally_export::axum_router(Arc::new(
        Handler::new(registry).unwrap(),
    )));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let stop = async move {
                let _ = stopped.await;
            };
            tally_export::serve_axum(listener, app, Default::default(), stop)
                .await
                .unwrap();
        });
    });
    check_head_matches_get(addr, &reads);
    stop.send(()).unwrap();
    server.join().unwrap();
}
