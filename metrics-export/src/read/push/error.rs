//! Why a pusher could not be built, and why one push failed.

use std::time::Duration;

use tally_core::RegistryError;

/// A push configuration that cannot work: reported by the builders,
/// before anything is sent.
#[derive(Debug, thiserror::Error)]
pub enum PushConfigError {
    /// The URL does not parse, or lacks a host.
    #[error("invalid push URL {url:?}: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Only `http://`, and `https://` with the `push-tls` feature.
    #[error(
        "unsupported scheme in push URL {0:?}: http://, or https:// with tally's push-tls feature"
    )]
    Scheme(String),
    /// The TLS configuration cannot be built (feature `push-tls`): a CA
    /// PEM without a usable certificate, or no root certificates on the
    /// platform.
    #[error("cannot set up TLS for the push: {0}")]
    Tls(String),
    /// A label name (grouping key or extra label) is not a valid
    /// Prometheus label name.
    #[error("invalid label name {0:?}: it must match [a-zA-Z_][a-zA-Z0-9_]*")]
    LabelName(String),
    /// The Pushgateway job name is empty.
    #[error("the Pushgateway job name must not be empty")]
    EmptyJob,
    /// A duration that must be above zero is zero.
    #[error("the push {0} must be above zero")]
    ZeroDuration(&'static str),
    /// The self-telemetry families could not be registered (another
    /// pusher already registered them in this registry: turn telemetry
    /// off on one of them).
    #[error("cannot register the pusher's own families: {0}")]
    Telemetry(#[from] RegistryError),
    /// The push thread or its runtime could not be started.
    #[error("cannot start the push thread: {0}")]
    Start(#[source] std::io::Error),
}

/// Why one push did not reach the receiver (or was refused by it).
#[derive(Debug, Clone, thiserror::Error)]
pub enum PushError {
    /// The connection could not be opened (receiver down, refused, name
    /// not resolved).
    #[error("cannot connect to {addr}: {reason}")]
    Connect {
        /// `host:port` of the receiver.
        addr: String,
        /// The I/O error.
        reason: String,
    },
    /// No complete answer within the timeout (slow receiver, or one that
    /// accepted the connection and never answered).
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The receiver answered with a status other than 2xx.
    #[error("the receiver answered {status}: {body}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The start of the answer's body (up to 512 bytes, lossy UTF-8).
        body: String,
    },
    /// The receiver answered with a redirect (3xx). Not followed: a push
    /// is not re-sent to an address the configuration did not name;
    /// configure the URL it points to.
    #[error("the receiver redirected the push ({status}) to {}; configure that URL instead", location.as_deref().unwrap_or("an unnamed location"))]
    Redirect {
        /// The HTTP status code (301, 302, 303, 307 or 308).
        status: u16,
        /// The `Location` header, if any.
        location: Option<String>,
    },
    /// The TLS handshake failed (an untrusted or mismatched certificate,
    /// a receiver that does not speak TLS).
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// The exchange broke off before an answer's status arrived
    /// (connection reset, malformed HTTP).
    #[error("HTTP exchange failed: {0}")]
    Http(String),
    /// A 2xx answer whose body cannot be understood (OTLP: not an
    /// `ExportMetricsServiceResponse`, or cut short). The data was
    /// accepted, so it is not sent again.
    #[error("undecodable answer from the receiver: {0}")]
    BadResponse(String),
    /// The pusher has stopped; nothing was sent.
    #[error("the pusher has stopped")]
    Stopped,
    /// The receiver has no such operation (delete on OTLP,
    /// VictoriaMetrics or remote write); nothing was sent.
    #[error("{0}")]
    Unsupported(&'static str),
}

impl PushError {
    /// Whether another attempt may succeed (connection errors, timeouts,
    /// 5xx and 429); a 4xx, a redirect or an undecodable 2xx answer (the
    /// data was accepted) will not change.
    pub fn is_retryable(&self) -> bool {
        match self {
            PushError::Connect { .. } | PushError::Timeout(_) | PushError::Http(_) => true,
            PushError::Status { status, .. } => *status >= 500 || *status == 429,
            PushError::Redirect { .. }
            | PushError::Tls(_)
            | PushError::BadResponse(_)
            | PushError::Stopped
            | PushError::Unsupported(_) => false,
        }
    }
}
