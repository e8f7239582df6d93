//! Pushing a registry instead of being scraped: to a Prometheus
//! Pushgateway, VictoriaMetrics' import endpoint, an OTLP/HTTP receiver
//! or a Prometheus remote write receiver ([`RemoteWrite`]), from a
//! background thread ([`Pusher`]) or once ([`PushHandle::push`]).
//!
//! A push never blocks recording: it encodes a snapshot on its own
//! thread, and each attempt's outcome is counted in the registry.

pub use tally_export::{
    Otlp, PartialSuccess, PushConfigError, PushError, PushFormat, PushHandle, PushMethod,
    PushReport, Pusher, PusherBuilder, Pushgateway, RemoteWrite, Target, VictoriaMetrics,
};
