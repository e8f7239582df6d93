//! The axum integration (feature `axum`): the same handler mounted into
//! an application router, served by `axum::serve` on loopback.
#![cfg(feature = "axum")]

mod http_support;

use std::sync::Arc;

use http_support::*;
use tally_core::{Counter, Desc, Registry};
use tally_export::{axum_router, Auth, Handler, HandlerConfig};

#[test]
fn axum_router_serves_the_handler_next_to_application_routes() {
    let registry = Arc::new(Registry::new());
    registry
        .register(Desc::new("axum_demo_total", "Demo."), Counter::<()>::new())
        .unwrap()
        .add(3);
    let handler =
        Handler::with_config(registry, HandlerConfig::default().auth(Auth::bearer("tok"))).unwrap();
    let app: axum::Router = axum::Router::new()
        .route("/hello", axum::routing::get(|| async { "hello" }))
        .merge(axum_router(Arc::new(handler)));

    let server = Serving::start(app);
    let addr = server.addr;

    assert_eq!(get(addr, "/hello", &[]).text(), "hello");
    let auth = ("Authorization", "Bearer tok");
    let text = get(addr, "/metrics", &[auth, ("Accept", CURL_ACCEPT)]);
    assert_eq!(text.status, 200);
    assert!(text
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    assert!(
        text.text().contains("axum_demo_total 3\n"),
        "{}",
        text.text()
    );
    let om = get(
        addr,
        "/metrics",
        &[
            auth,
            ("Accept", PROMETHEUS_ACCEPT),
            ("Accept-Encoding", "gzip"),
        ],
    );
    assert_eq!(om.header("content-encoding"), Some("gzip"));
    assert!(gunzip(&om.body).ends_with("# EOF\n"));
    assert_eq!(get(addr, "/metrics", &[]).status, 401);
    assert_eq!(get(addr, "/-/healthy", &[]).status, 200);
    assert_eq!(
        get(addr, "/debug/vars", &[auth]).header("content-type"),
        Some("application/json")
    );
    assert_eq!(request(addr, "DELETE", "/metrics", &[auth]).status, 405);

    drop(server);
}
