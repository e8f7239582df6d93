//! The handler called directly, with no transport: what a custom server
//! integration does.

#![cfg(feature = "http")]

use std::sync::Arc;

use hyper::http::{HeaderMap, HeaderValue, Method, StatusCode};
use tally_core::{Counter, Desc, Registry};
use tally_export::{Auth, Handler, HandlerConfig};

#[test]
fn handle_is_transport_agnostic() {
    let registry = Arc::new(Registry::new());
    registry
        .register(Desc::new("direct_total", "Direct."), Counter::<()>::new())
        .unwrap()
        .add(9);
    let handler =
        Handler::with_config(registry, HandlerConfig::default().auth(Auth::bearer("k"))).unwrap();
    let mut headers = HeaderMap::new();
    let response = handler.handle(&Method::GET, "/metrics", &headers);
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    headers.insert("authorization", HeaderValue::from_static("Bearer k"));
    headers.insert("accept", HeaderValue::from_static("*/*"));
    let response = handler.handle(&Method::GET, "/metrics", &headers);
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let body = String::from_utf8(response.body().to_vec()).unwrap();
    assert!(body.contains("direct_total 9\n"), "{body}");

    let health = handler.handle(&Method::GET, "/-/healthy", &HeaderMap::new());
    assert_eq!(health.status(), StatusCode::OK);
    let missing = handler.handle(&Method::GET, "/metricsx", &headers);
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let put = handler.handle(&Method::PUT, "/debug/vars", &headers);
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
}
