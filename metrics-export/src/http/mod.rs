//! HTTP exposition: a transport-agnostic [`Handler`], a standalone
//! background [`Server`] ([`serve`]), an axum router (feature `axum`) and
//! the exporter's self-telemetry families.

mod auth;
#[cfg(feature = "axum")]
mod axum;
mod gzip;
mod handler;
mod server;
mod telemetry;
mod timed_io;

pub use auth::Auth;
#[cfg(feature = "axum")]
pub use axum::axum_router;
pub use handler::{
    Handler, HandlerConfig, RegistrySource, DEBUG_VARS_PATH, HEALTH_PATH, METRICS_PATH,
};
pub use server::{
    serve, serve_default, ServeError, Server, ServerBuilder, ServerHandle, DEFAULT_ADDR,
};
pub use telemetry::{ScrapeFormat, ScrapeOutcome};
