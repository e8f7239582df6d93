//! Why a server could not start: one error for the standalone server,
//! `serve_axum` and the validation of [`ServeOptions`](super::ServeOptions),
//! in a module of its own so none of them imports another for it.

use std::io;

use tally_core::RegistryError;

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be resolved or bound.
    #[error("cannot bind the metrics server: {0}")]
    Bind(#[source] io::Error),
    /// The runtime or its thread could not be created.
    #[error("cannot start the metrics server: {0}")]
    Start(#[source] io::Error),
    /// The self-telemetry families could not be registered (e.g. a
    /// second server on the same registry).
    #[error("cannot register the metrics server's own families: {0}")]
    Registry(#[from] RegistryError),
    /// A setting is out of its valid range.
    #[error("invalid server setting `{setting}`: {reason}")]
    Config {
        /// The builder method.
        setting: &'static str,
        /// The valid range.
        reason: &'static str,
    },
}
