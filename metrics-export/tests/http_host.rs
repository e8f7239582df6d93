//! DNS rebinding: a server bound to loopback answers only requests whose
//! `Host` is a loopback name or an IP literal (a page that rebinds its own
//! name to 127.0.0.1 sends its name), plus the names of a configured
//! allow-list; the check can be turned off for a checking proxy.

#![cfg(feature = "http")]

mod http_support;

use std::net::SocketAddr;
use std::sync::Arc;

use http_support::{parse, raw, Reply};
use tally_core::{Counter, Desc, Registry};
use tally_export::{AllowedHostError, Handler, HandlerConfig, Server, ServerHandle};

fn start(config: HandlerConfig) -> (ServerHandle, SocketAddr) {
    let registry = Arc::new(Registry::new());
    registry
        .register(Desc::new("host_demo_total", "Demo."), Counter::<()>::new())
        .unwrap()
        .add(3);
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::with_config(registry, config).unwrap())
        .start()
        .unwrap();
    let addr = server.local_addr();
    (server, addr)
}

/// `GET path` with exactly this `Host` header.
fn get_as(addr: SocketAddr, host: &str, path: &str) -> Reply {
    let head = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    parse(&raw(addr, head.as_bytes()))
}

#[test]
fn a_loopback_server_refuses_foreign_host_names() {
    let (_server, addr) = start(HandlerConfig::default());
    let port = addr.port();
    for path in [
        "/metrics",
        "/debug/vars",
        "/-/metrics.json",
        "/-/metrics",
        "/",
    ] {
        for host in [
            "attacker.example".to_owned(),
            format!("attacker.example:{port}"),
        ] {
            let reply = get_as(addr, &host, path);
            assert_eq!(reply.status, 403, "{host} {path}");
            assert!(!reply.text().contains("host_demo"), "{host} {path}");
        }
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "LOCALHOST".to_owned(),
        format!("grafana.localhost:{port}"),
    ] {
        let reply = get_as(addr, &host, "/metrics");
        assert_eq!(reply.status, 200, "{host}");
        assert!(reply.text().contains("host_demo_total 3"), "{host}");
    }
}

#[test]
fn an_allow_list_admits_its_names_and_any_host_turns_the_check_off() {
    let config = HandlerConfig::default()
        .allowed_hosts(["metrics.internal", "*.ops.example"])
        .unwrap();
    let (_server, addr) = start(config);
    assert_eq!(
        get_as(addr, "metrics.internal:9464", "/metrics").status,
        200
    );
    assert_eq!(get_as(addr, "a.ops.example", "/metrics").status, 200);
    assert_eq!(get_as(addr, "localhost", "/metrics").status, 200);
    assert_eq!(get_as(addr, "attacker.example", "/metrics").status, 403);

    let (_server, addr) = start(HandlerConfig::default().any_host());
    assert_eq!(get_as(addr, "attacker.example", "/metrics").status, 200);

    for bad in [
        "metrics.internal:9464",
        "http://metrics.internal",
        "a b",
        "",
    ] {
        assert_eq!(
            HandlerConfig::default().allowed_hosts([bad]).err(),
            Some(AllowedHostError::Invalid(bad.to_owned())),
            "{bad}"
        );
    }
}
