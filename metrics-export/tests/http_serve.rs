//! `serve`: the one-call server for the process-wide registry.

#![cfg(feature = "http")]

mod http_support;

use std::net::SocketAddr;

use http_support::get;
use tally_core::{Counter, Desc, Registry};
use tally_export::{serve, ServeError, DEFAULT_ADDR};

#[test]
fn serve_exposes_the_global_registry_once() {
    Registry::global()
        .register(
            Desc::new("global_demo_total", "Demo."),
            Counter::<()>::new(),
        )
        .unwrap()
        .add(5);
    let server = serve("127.0.0.1:0").unwrap();
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback());
    let reply = get(addr, "/metrics", &[]);
    assert_eq!(reply.status, 200);
    assert!(
        reply.text().contains("global_demo_total 5\n"),
        "{}",
        reply.text()
    );
    // The self-telemetry families are registered once per registry.
    assert!(matches!(serve("127.0.0.1:0"), Err(ServeError::Registry(_))));
    server.shutdown();
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn the_default_address_is_loopback() {
    let addr: SocketAddr = DEFAULT_ADDR.parse().unwrap();
    assert!(addr.ip().is_loopback());
}

#[test]
fn bind_errors_are_reported() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let handler = tally_export::Handler::with_config(
        std::sync::Arc::new(Registry::new()),
        Default::default(),
    )
    .unwrap();
    let err = tally_export::Server::builder()
        .bind(addr)
        .handler(handler)
        .start()
        .unwrap_err();
    assert!(matches!(err, ServeError::Bind(_)), "{err}");
}
