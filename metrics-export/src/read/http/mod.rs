//! HTTP exposition (feature `http`, except content negotiation and the
//! route paths, which need no HTTP library): a transport-agnostic [`Handler`], a standalone
//! background [`Server`] ([`serve`]), an axum router (feature `axum`) and
//! the exporter's self-telemetry families.
//!
//! Endpoints: `GET /metrics` (format negotiated from `Accept`: Prometheus
//! 2.42 gets OpenMetrics, or protobuf with native histograms when started
//! with `--enable-feature=native-histograms`; curl and browsers get
//! Prometheus text), `GET /debug/vars` (JSON) and `GET /-/healthy`
//! (always open). Bodies are gzipped when `Accept-Encoding` allows.
//! `GET /-/metrics` is a live page for a browser (rates, gauges and
//! p50/p90/p99 over the last minutes) polling `GET /-/metrics.json`;
//! `GET /` is an index linking them all.
//!
//! Safety defaults: the server binds loopback ([`DEFAULT_ADDR`]) unless
//! told otherwise, and bound to loopback answers only loopback `Host`
//! names and IP literals (DNS rebinding;
//! [`HandlerConfig::allowed_hosts`]); optional bearer/basic [`Auth`] compared in constant
//! time (401); scrapes of one format and encoding that arrive while one
//! is encoding share its body, and at most 4 encodings run at once (503
//! with `Retry-After` past it); finished bodies still being sent are
//! bounded by [`HandlerConfig::max_held_response_bytes`] (16 MiB) and
//! sent in 16 KiB copied chunks, so a client that stops reading pins
//! one chunk; a request head must arrive within 10 s and a stalled
//! write is dropped after 10 s; at most 64 open connections, the one
//! idle the longest (no complete request) closed to admit a newcomer,
//! and [`OVERFLOW_CONNECTIONS`] more for health checks and 503s when
//! all are busy; HEAD gets GET's headers without an encoding;
//! malformed requests get 400 from hyper's parser; a panic while
//! snapshotting or encoding becomes a 500. Out-of-range settings are an
//! `Err` ([`ServeError::Config`]) when the server starts.
//! [`serve_axum`] (feature `axum`) gives a whole axum application the
//! same connection handling, timeouts and a bounded graceful shutdown.
//!
//! Self-telemetry, registered into the served registry when the handler
//! is built (see [`HandlerConfig::telemetry`]):
//! `tally_scrape_duration_seconds`, `tally_scrape_series`,
//! `tally_clamped_values`, `tally_computed_failures_total` and
//! `tally_scrapes_total{format, code}`.

#[cfg(feature = "http")]
mod admission;
#[cfg(feature = "http")]
mod auth;
#[cfg(feature = "axum")]
mod axum;
#[cfg(feature = "http")]
mod body;
#[cfg(feature = "http")]
mod coalesce;
#[cfg(feature = "http")]
mod error;
#[cfg(feature = "http")]
pub(crate) mod gzip;
#[cfg(feature = "http")]
mod handler;
#[cfg(feature = "http")]
mod host;
#[cfg(feature = "http")]
mod listener;
mod negotiate;
#[cfg(feature = "http")]
mod options;
#[cfg(feature = "http")]
mod page;
#[cfg(feature = "http")]
mod scrape;
#[cfg(feature = "http")]
mod server;
#[cfg(feature = "http")]
mod telemetry;
#[cfg(feature = "http")]
mod timed_io;

// The route paths live at the crate root (the tower layer names them
// too); `super::routes` keeps naming them here.
#[cfg(feature = "http")]
use crate::routes;

#[cfg(feature = "http")]
pub use auth::Auth;
#[cfg(feature = "axum")]
pub use axum::{axum_router, serve_axum};
#[cfg(feature = "http")]
pub use error::ServeError;
#[cfg(feature = "http")]
pub use handler::{Handler, HandlerConfig, RegistrySource, DEFAULT_MAX_HELD_RESPONSE_BYTES};
#[cfg(feature = "http")]
pub use host::AllowedHostError;
#[cfg(feature = "http")]
pub use listener::OVERFLOW_CONNECTIONS;
pub use negotiate::Negotiated;
#[cfg(feature = "http")]
pub use options::{ServeOptions, MAX_TIMEOUT};
#[cfg(feature = "http")]
pub use page::PagePathError;
#[cfg(feature = "http")]
pub use server::{serve, serve_default, Server, ServerBuilder, ServerHandle, DEFAULT_ADDR};
