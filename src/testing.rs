//! Testing instrumented code: a registry per test, values read back from
//! a snapshot by name and labels, no text to parse.
//!
//! # A registry per test
//!
//! A derived stats struct's `global()` registers into the process-wide
//! [`Registry::global`](crate::Registry::global), which tests running in
//! parallel (threads of one `cargo test` process) would share. Give the
//! code under test the stats it records into instead (a parameter, a
//! field, axum `State`), and let each test build its own: `register` a
//! fresh instance into a fresh [`Registry`](crate::Registry), exercise
//! the code, then read the registry's
//! [`snapshot`](crate::Registry::snapshot) with
//! [`find`](crate::snapshot::RegistrySnapshot::find),
//! [`value`](crate::snapshot::RegistrySnapshot::value) and
//! [`sum`](crate::snapshot::RegistrySnapshot::sum). Nothing global is touched, so
//! the tests can run in any order and in parallel.
//!
//! ```
//! use std::sync::Arc;
//! use tally::{Counter, Histogram, LabelValue, Metrics, Registry};
//!
//! #[derive(LabelValue, Clone, Copy)]
//! enum Outcome { Hit, Miss }
//!
//! #[derive(Metrics)]
//! #[metrics(prefix = "cache")]
//! struct CacheStats {
//!     /// Lookups, by outcome.
//!     lookups: Counter<Outcome>,
//!     /// Size of the values returned.
//!     #[metric(unit = "bytes", highest = 1048576)]
//!     value_size: Histogram,
//! }
//!
//! // The code under test takes its stats; production passes
//! // `CacheStats::global()`, a test its own instance.
//! fn lookup(stats: &CacheStats, key: &str) -> Option<&'static str> {
//!     let found = (key == "a").then_some("alpha");
//!     stats.lookups.with(if found.is_some() { Outcome::Hit } else { Outcome::Miss }).inc();
//!     if let Some(v) = found {
//!         stats.value_size.record(v.len() as u64);
//!     }
//!     found
//! }
//!
//! // In a #[test]:
//! let registry = Registry::new();
//! let stats: Arc<CacheStats> = CacheStats::register(&registry).unwrap();
//! lookup(&stats, "a");
//! lookup(&stats, "a");
//! lookup(&stats, "b");
//!
//! let snapshot = registry.snapshot();
//! assert_eq!(snapshot.value("cache_lookups_total", &[("outcome", "hit")]), Some(2.0));
//! assert_eq!(snapshot.value("cache_lookups_total", &[("outcome", "miss")]), Some(1.0));
//! assert_eq!(snapshot.sum("cache_lookups_total", &[]), Some(3.0));
//! let sizes = snapshot.find("cache_value_size_bytes", &[]).unwrap();
//! assert_eq!(sizes.count(), Some(2));
//! assert_eq!(sizes.sum(), Some(10.0));
//! assert_eq!(sizes.quantile(0.99), Some(5.0));
//! ```
//!
//! # An axum handler, end to end
//!
//! The same pattern through a real server: the router gets the test's
//! stats as state and the HTTP layer on the test's registry, is served on
//! a free loopback port, and the test reads the values its requests
//! recorded, the handler's own and the layer's.
//!
//! ```
//! use std::sync::Arc;
//! use axum::{extract::State, routing::get, Router};
//! use tally::{Counter, Metrics, Registry};
//! use std::io::{Read, Write};
//!
//! #[derive(Metrics)]
//! #[metrics(prefix = "greeter")]
//! struct GreeterStats {
//!     /// Greetings sent.
//!     greetings: Counter,
//! }
//!
//! async fn hello(State(stats): State<Arc<GreeterStats>>) -> &'static str {
//!     stats.greetings.inc();
//!     "hello\n"
//! }
//!
//! fn app(registry: &Registry, stats: Arc<GreeterStats>) -> Router {
//!     Router::new()
//!         .route("/hello", get(hello))
//!         .with_state(stats)
//!         .layer(tally::HttpMetricsLayer::new(registry).unwrap())
//! }
//!
//! # #[tokio::main]
//! # async fn main() {
//! let registry = Registry::new();
//! let stats = GreeterStats::register(&registry).unwrap();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let addr = listener.local_addr().unwrap();
//! let app = app(&registry, stats);
//! tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
//!
//! // A plain blocking client, off the runtime's threads.
//! let get = move |path: &'static str| {
//!     let mut conn = std::net::TcpStream::connect(addr).unwrap();
//!     write!(conn, "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").unwrap();
//!     let mut reply = String::new();
//!     conn.read_to_string(&mut reply).unwrap();
//!     reply
//! };
//! for _ in 0..3 {
//!     let reply = tokio::task::spawn_blocking(move || get("/hello")).await.unwrap();
//!     assert!(reply.starts_with("HTTP/1.1 200") && reply.ends_with("hello\n"), "{reply}");
//! }
//! let snapshot = registry.snapshot();
//! assert_eq!(snapshot.value("greeter_greetings_total", &[]), Some(3.0));
//! let ok = [("method", "GET"), ("status", "2xx"), ("route", "/hello")];
//! assert_eq!(snapshot.value("http_server_requests_total", &ok), Some(3.0));
//! let latency = snapshot
//!     .find("http_server_request_duration_seconds", &[("route", "/hello")])
//!     .unwrap();
//! assert_eq!(latency.count(), Some(3));
//! # }
//! ```
