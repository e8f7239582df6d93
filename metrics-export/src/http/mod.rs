//! HTTP handler and servers (owned by the HTTP work).
