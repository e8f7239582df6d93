//! The live page's routes on the standalone server: the page, its JSON,
//! the index at `/`, authentication, a custom path, disabling it.

#![cfg(feature = "http")]

mod http_support;

use std::sync::Arc;

use http_support::*;
use tally_core::{Counter, Desc, Registry};
use tally_export::{
    Auth, Handler, HandlerConfig, PagePathError, Server, ServerHandle, PAGE_JSON_PATH, PAGE_PATH,
};

fn start(config: HandlerConfig) -> (ServerHandle, std::net::SocketAddr) {
    let registry = Arc::new(Registry::new());
    registry
        .register(Desc::new("page_demo_total", "Demo."), Counter::<()>::new())
        .unwrap()
        .add(42);
    let handler = Handler::with_config(registry, config).unwrap();
    let server = Server::builder()
        .bind("127.0.0.1:0")
        .handler(handler)
        .start()
        .unwrap();
    let addr = server.local_addr();
    (server, addr)
}

#[test]
fn the_page_its_json_and_the_index_are_served() {
    let (_server, addr) = start(HandlerConfig::default());
    let page = get(addr, PAGE_PATH, &[("Accept", BROWSER_ACCEPT)]);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"));
    let html = page.text();
    assert!(html.starts_with("<!doctype html>") && html.contains("tallyPage"));
    let gzipped = get(addr, PAGE_PATH, &[("Accept-Encoding", "gzip")]);
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&gzipped.body), page.text());
    assert!(request(addr, "HEAD", PAGE_PATH, &[]).body.is_empty());
    assert_eq!(request(addr, "POST", PAGE_PATH, &[]).status, 405);

    let json = get(addr, PAGE_JSON_PATH, &[]);
    assert_eq!(json.status, 200);
    assert_eq!(json.header("content-type"), Some("application/json"));
    assert_eq!(json.header("cache-control"), Some("no-store"));
    let doc: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
    let demo = doc["families"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "page_demo_total")
        .unwrap();
    assert_eq!(demo["series"][0][1], 42);
    // A poll is a JSON scrape in the self-telemetry.
    let text = get(addr, "/metrics", &[]).text();
    assert!(
        text.contains("tally_scrapes_total{format=\"json\",code=\"200\"} 1\n"),
        "{text}"
    );

    let index = get(addr, "/", &[]);
    assert_eq!(index.status, 200);
    let index = index.text();
    for link in [
        "href=\"./-/metrics\"",
        "href=\"./metrics\"",
        "href=\"./debug/vars\"",
    ] {
        assert!(index.contains(link), "{link}: {index}");
    }
}

#[test]
fn the_page_takes_the_metrics_credentials_and_the_index_does_not() {
    let (_server, addr) = start(HandlerConfig::default().auth(Auth::basic("ops", "pw")));
    for path in [PAGE_PATH, PAGE_JSON_PATH] {
        let refused = get(addr, path, &[]);
        assert_eq!(refused.status, 401, "{path}");
        assert!(refused.header("www-authenticate").is_some(), "{path}");
        // ops:pw
        let ok = get(addr, path, &[("Authorization", "Basic b3BzOnB3")]);
        assert_eq!(ok.status, 200, "{path}");
    }
    assert_eq!(get(addr, "/", &[]).status, 200);
}

#[test]
fn the_page_moves_or_goes_when_configured() {
    let (_server, addr) = start(HandlerConfig::default().page_path("/ops/live").unwrap());
    assert_eq!(get(addr, "/ops/live", &[]).status, 200);
    assert_eq!(get(addr, "/ops/live.json", &[]).status, 200);
    assert_eq!(get(addr, PAGE_PATH, &[]).status, 404);
    assert!(get(addr, "/", &[]).text().contains("href=\"./ops/live\""));

    let (_server, addr) = start(HandlerConfig::default().page(false));
    assert_eq!(get(addr, PAGE_PATH, &[]).status, 404);
    assert_eq!(get(addr, PAGE_JSON_PATH, &[]).status, 404);
    let index = get(addr, "/", &[]).text();
    assert!(!index.contains("-/metrics"), "{index}");
    assert!(index.contains("href=\"./metrics\""), "{index}");

    assert!(matches!(
        HandlerConfig::default().page_path("/metrics"),
        Err(PagePathError::Taken(_))
    ));
    assert!(matches!(
        HandlerConfig::default().page_path("live"),
        Err(PagePathError::NotAbsolute(_))
    ));
}

/// A page path that would inject markup into the index is refused; what
/// the index prints of an accepted one is escaped.
#[test]
fn page_paths_hold_path_characters_only_and_the_index_escapes_them() {
    for hostile in [
        "/x\"><script>alert(1)</script><a",
        "/x\"onmouseover=\"alert(1)",
        "/a b",
        "/a<b>",
        "//evil.example/x",
        "/ops/../metrics",
    ] {
        assert!(
            matches!(
                HandlerConfig::default().page_path(hostile),
                Err(PagePathError::BadCharacter(_))
            ),
            "{hostile}"
        );
    }
    let (_server, addr) = start(HandlerConfig::default().page_path("/ops/a&b").unwrap());
    assert_eq!(get(addr, "/ops/a&b", &[]).status, 200);
    let index = get(addr, "/", &[]).text();
    assert!(index.contains("href=\"./ops/a&amp;b\""), "{index}");
    assert!(index.contains("<code>/ops/a&amp;b</code>"), "{index}");
}

#[cfg(feature = "axum")]
#[test]
fn the_axum_router_serves_the_page_and_leaves_the_index_to_the_app() {
    let registry = Arc::new(Registry::new());
    let handler = Arc::new(Handler::new(registry).unwrap());
    let app: axum::Router = axum::Router::new()
        .route("/", axum::routing::get(|| async { "the app's own index" }))
        .merge(tally_export::axum_router(handler));
    let server = Serving::start(app);
    let addr = server.addr;
    assert!(get(addr, PAGE_PATH, &[]).text().contains("tallyPage"));
    assert_eq!(get(addr, PAGE_JSON_PATH, &[]).status, 200);
    assert_eq!(get(addr, "/", &[]).text(), "the app's own index");
    drop(server);
}

/// Every response says `X-Content-Type-Options: nosniff`, not only the
/// HTML ones: a browser never reads exposition text as a script or a
/// page.
#[test]
fn every_response_says_nosniff() {
    let (_server, addr) = start(HandlerConfig::default().auth(Auth::bearer("t")));
    let bearer = [("Authorization", "Bearer t")];
    /// Method, path, headers, expected status.
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], u16);
    let cases: Vec<Case> = vec![
        ("GET", "/metrics", &bearer, 200),
        ("GET", "/metrics", &[], 401),
        ("HEAD", "/metrics", &bearer, 200),
        ("GET", "/debug/vars", &bearer, 200),
        ("GET", PAGE_JSON_PATH, &bearer, 200),
        ("GET", PAGE_PATH, &bearer, 200),
        ("GET", "/", &[], 200),
        ("GET", "/-/healthy", &[], 200),
        ("GET", "/nowhere", &[], 404),
        ("POST", "/metrics", &bearer, 405),
    ];
    for (method, path, headers, status) in cases {
        let reply = request(addr, method, path, headers);
        assert_eq!(reply.status, status, "{method} {path}");
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{method} {path}"
        );
    }
}

/// The page's and the index's policies allow their own inline script and
/// style by hash, never `'unsafe-inline'`.
#[test]
fn the_content_security_policy_has_hashes_not_unsafe_inline() {
    let (_server, addr) = start(HandlerConfig::default());
    for path in [PAGE_PATH, "/"] {
        let csp = get(addr, path, &[])
            .header("content-security-policy")
            .unwrap()
            .to_owned();
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("style-src 'sha256-"), "{path}: {csp}");
    }
    let csp = get(addr, PAGE_PATH, &[]);
    assert!(csp
        .header("content-security-policy")
        .unwrap()
        .contains("script-src 'sha256-"));
}
