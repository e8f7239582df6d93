//! The paths every tally server answers (the standalone server, the axum
//! router and any transport calling `Handler::handle`), in one place.
//! At the crate root because both halves name them: the reading half
//! serves them, the writing half's tower layer leaves them uncounted.

/// The path of the metrics endpoint (format negotiated from `Accept`).
pub const METRICS_PATH: &str = "/metrics";
/// The path of the JSON endpoint (always JSON, like Go's expvar).
pub const DEBUG_VARS_PATH: &str = "/debug/vars";
/// The path of the health endpoint: `200 OK`, never authenticated, never
/// capped, no snapshot taken.
pub const HEALTH_PATH: &str = "/-/healthy";
/// The default path of the live page; its JSON is at the same path with
/// `.json` appended ([`PAGE_JSON_PATH`]).
pub const PAGE_PATH: &str = "/-/metrics";
/// The default path of the JSON the live page polls.
pub const PAGE_JSON_PATH: &str = "/-/metrics.json";
/// The path of the index linking every endpoint (standalone server).
pub const INDEX_PATH: &str = "/";
