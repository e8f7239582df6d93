//! The reading half: code that takes [`tally_core::RegistrySnapshot`]s
//! and turns them into bytes for someone else. The encoders
//! ([`encode`]), the HTTP handler, servers and live page ([`http`]), the
//! push clients ([`push`]), the prometheus-client bridge, and the
//! generators of alerting rules ([`rules`]) and dashboards
//! ([`dashboard`]) from the registry's descriptions.
//!
//! Nothing here writes a metric cell; the only families this half
//! updates are its own self-telemetry (scrapes, pushes), through the
//! same public API any user has.

pub mod dashboard;
pub(crate) mod encode;
pub(crate) mod http;
#[cfg(feature = "prometheus-client")]
pub(crate) mod prometheus_client_bridge;
#[cfg(feature = "push")]
pub(crate) mod push;
pub mod rules;
