//! The limits every tally server applies to its connections, one type
//! for the standalone [`Server`](super::Server) (its
//! [`ServerBuilder::options`](super::ServerBuilder::options)) and for a
//! whole axum application served by `serve_axum`.

use std::time::Duration;

use super::error::ServeError;
use super::listener::Limits;

/// Longest read or write timeout accepted: one day.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// Timeouts and the connection cap of a server, validated when the
/// server starts (an `Err`, never a panic later).
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    read_timeout: Duration,
    write_timeout: Duration,
    max_connections: usize,
    shutdown_timeout: Duration,
}

impl Default for ServeOptions {
    /// 10 s to send a request head (and keep-alive idle time), 10 s for a
    /// stalled write, at most 1024 connections, 10 s of graceful
    /// shutdown. (The standalone metrics server starts from these with
    /// 64 connections: it serves scrapers, not an application.)
    fn default() -> Self {
        ServeOptions {
            read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            max_connections: 1024,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

impl ServeOptions {
    /// How long a client has to send a complete request head, counted
    /// from when the connection opens or goes idle after a response (so
    /// it is the keep-alive idle timeout too). Valid from 1 ms to
    /// [`MAX_TIMEOUT`].
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// How long a write may make no progress (a client that stops
    /// reading) before the connection is dropped. Valid from 1 ms to
    /// [`MAX_TIMEOUT`].
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Open connections allowed at once (at least 1). At the cap the
    /// connection idle the longest is closed for a newcomer; when all
    /// have a request in progress, up to
    /// [`OVERFLOW_CONNECTIONS`](crate::OVERFLOW_CONNECTIONS) more are
    /// served one request each (then closed), and past those a 503 is
    /// written.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// How long shutdown waits for requests in progress before dropping
    /// them (0 to [`MAX_TIMEOUT`]). A client that never finishes its
    /// request cannot hold shutdown longer.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The accept loop's limits, or the first setting out of range.
    pub(crate) fn limits(&self) -> Result<Limits, ServeError> {
        let timeout_range = "must be between 1 ms and 24 h";
        let valid = |d: Duration| d >= Duration::from_millis(1) && d <= MAX_TIMEOUT;
        if !valid(self.read_timeout) {
            return Err(ServeError::Config {
                setting: "read_timeout",
                reason: timeout_range,
            });
        }
        if !valid(self.write_timeout) {
            return Err(ServeError::Config {
                setting: "write_timeout",
                reason: timeout_range,
            });
        }
        if self.max_connections == 0 {
            return Err(ServeError::Config {
                setting: "max_connections",
                reason: "must be at least 1",
            });
        }
        if self.shutdown_timeout > MAX_TIMEOUT {
            return Err(ServeError::Config {
                setting: "shutdown_timeout",
                reason: "must be at most 24 h",
            });
        }
        Ok(Limits {
            read_timeout: self.read_timeout,
            write_timeout: self.write_timeout,
            max_connections: self.max_connections,
            drain_timeout: self.shutdown_timeout,
        })
    }
}
