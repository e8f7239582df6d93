//! Serving a registry over HTTP: the [`Handler`] every server shares
//! (content negotiation, gzip, auth, limits, the live page), the
//! standalone [`Server`], and with feature `axum` the router, a
//! ready-made server and the tower layer for HTTP server metrics.
//!
//! [`serve`](crate::serve) and [`axum_router`](crate::axum_router) at the
//! crate root cover the common cases; this module is for configuring
//! them ([`HandlerConfig`], [`ServerBuilder`]).

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use tally_export::{
    serve_axum, CountedBody, HttpMetricsError, HttpMetricsService, ResponseFuture, Route,
    UNMATCHED_ROUTE,
};
pub use tally_export::{
    serve_default, AllowedHostError, Auth, Handler, HandlerConfig, PagePathError, RegistrySource,
    ServeOptions, Server, ServerBuilder, ServerHandle, DEBUG_VARS_PATH, DEFAULT_ADDR,
    DEFAULT_MAX_HELD_RESPONSE_BYTES, HEALTH_PATH, INDEX_PATH, MAX_TIMEOUT, METRICS_PATH,
    PAGE_JSON_PATH, PAGE_PATH,
};
