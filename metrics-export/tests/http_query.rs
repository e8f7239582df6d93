//! Scrape options from client_golang: `name[]=` query parameters select
//! the families served (by family name, a counter also with `_total`),
//! and zstd is offered beside gzip (feature `zstd`).

#![cfg(feature = "http")]

mod http_support;

use std::sync::Arc;

use http_support::{get, gunzip};
use tally_core::{Counter, Desc, Gauge, Registry};
use tally_export::{Handler, HandlerConfig, Server, ServerHandle};

fn start() -> (ServerHandle, std::net::SocketAddr) {
    let registry = Arc::new(Registry::new());
    registry
        .register(Desc::new("app_jobs_total", "Jobs."), Counter::<()>::new())
        .unwrap()
        .add(5);
    registry
        .register(
            Desc::new("app_errors_total", "Errors."),
            Counter::<()>::new(),
        )
        .unwrap()
        .add(2);
    registry
        .register(Desc::new("app_queue", "Queue."), Gauge::<()>::new())
        .unwrap()
        .set(9);
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(Handler::with_config(registry, HandlerConfig::default()).unwrap())
        .process_metrics(false)
        .start()
        .unwrap();
    let addr = server.local_addr();
    (server, addr)
}

/// The `# TYPE` lines of a text body: the families served.
fn families(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .collect()
}

#[test]
fn name_parameters_select_the_families_served() {
    let (_server, addr) = start();
    let all = get(addr, "/metrics", &[]).text();
    assert!(families(&all).len() > 3, "{all}"); // with the self-telemetry

    let some = get(addr, "/metrics?name[]=app_jobs_total&name[]=app_queue", &[]);
    assert_eq!(some.status, 200);
    let text = some.text();
    assert_eq!(families(&text), ["app_jobs_total", "app_queue"], "{text}");
    assert!(text.contains("app_jobs_total 5\n") && text.contains("app_queue 9\n"));

    // Percent-encoded brackets, a counter by its family name, OpenMetrics.
    let om = get(
        addr,
        "/metrics?name%5B%5D=app_errors",
        &[("Accept", "application/openmetrics-text; version=1.0.0")],
    )
    .text();
    assert_eq!(families(&om), ["app_errors"], "{om}");
    assert!(om.contains("app_errors_total 2"), "{om}");

    // JSON too; no match serves no family; other parameters change nothing.
    let json = get(addr, "/debug/vars?name[]=app_queue", &[]).text();
    assert!(
        json.contains("app_queue") && !json.contains("app_jobs"),
        "{json}"
    );
    assert!(families(&get(addr, "/metrics?name[]=nope", &[]).text()).is_empty());
    assert_eq!(
        families(&get(addr, "/metrics?x=1", &[]).text()).len(),
        families(&all).len()
    );
}

#[test]
fn a_filtered_scrape_is_gzipped_when_accepted() {
    let (_server, addr) = start();
    let reply = get(
        addr,
        "/metrics?name[]=app_queue",
        &[("Accept-Encoding", "gzip")],
    );
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
    assert_eq!(families(&gunzip(&reply.body)), ["app_queue"]);
}

#[cfg(feature = "zstd")]
#[test]
fn zstd_is_offered_beside_gzip() {
    let (_server, addr) = start();
    let plain = get(addr, "/metrics", &[]).text();
    for accept in ["zstd", "gzip, zstd", "zstd;q=1.0, gzip;q=0.9"] {
        let reply = get(addr, "/metrics", &[("Accept-Encoding", accept)]);
        assert_eq!(reply.header("content-encoding"), Some("zstd"), "{accept}");
        assert_eq!(reply.header("vary"), Some("Accept, Accept-Encoding"));
        let body = zstd::stream::decode_all(&reply.body[..]).unwrap();
        let text = String::from_utf8(body).unwrap();
        assert_eq!(families(&text), families(&plain), "{accept}");
        assert!(text.contains("app_jobs_total 5\n"));
    }
    // gzip preferred by quality, or zstd refused: gzip.
    for accept in ["zstd;q=0.5, gzip", "zstd;q=0, gzip"] {
        let reply = get(addr, "/metrics", &[("Accept-Encoding", accept)]);
        assert_eq!(reply.header("content-encoding"), Some("gzip"), "{accept}");
    }
    let reply = get(
        addr,
        "/metrics?name[]=app_queue",
        &[("Accept-Encoding", "zstd")],
    );
    let text = String::from_utf8(zstd::stream::decode_all(&reply.body[..]).unwrap()).unwrap();
    assert_eq!(families(&text), ["app_queue"]);
}
