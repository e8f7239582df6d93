//! Pushing instead of being scraped: a [`Pusher`] sends a registry's
//! snapshot to a Prometheus [`Pushgateway`], VictoriaMetrics' text import
//! ([`VictoriaMetrics`]), an OTLP/HTTP receiver ([`Otlp`]) or a Prometheus
//! remote write 1.0 receiver ([`RemoteWrite`]), from a background thread
//! with its own small tokio runtime.
//!
//! - Periodic pushes (interval), one-shot pushes ([`PushHandle::push`])
//!   for batch jobs, and a final push when stopped, bounded in time.
//! - Each attempt has a timeout; failures that may pass are retried with
//!   exponential backoff and jitter; bodies are gzip-compressed (remote
//!   write: snappy, as the protocol requires). Once a receiver's status
//!   arrives it decides: an accepted push is never sent again, a
//!   redirect is reported ([`PushError::Redirect`]), not followed.
//! - Nothing queues: every push carries the current cumulative snapshot,
//!   so memory stays flat while a receiver is down and the next accepted
//!   push carries every total.
//! - Outcomes are counted in `tally_push_total{target, outcome}` (and
//!   friends) in the pushed registry and logged to stderr once per change
//!   of outcome. OTLP `partial_success` is read and reported.
//! - `http://`, and `https://` with the `push-tls` feature (rustls; the
//!   platform's roots or a given CA,
//!   [`PusherBuilder::ca_certificate_pem`]).

mod client;
mod error;
mod grouping;
mod pusher;
mod remote_write;
mod target;
mod telemetry;
mod tls;

pub use error::{PushConfigError, PushError};
pub use pusher::{PartialSuccess, PushHandle, PushReport, Pusher, PusherBuilder};
pub use target::{Otlp, PushFormat, PushMethod, Pushgateway, RemoteWrite, Target, VictoriaMetrics};
