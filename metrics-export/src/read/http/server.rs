//! The standalone server: hyper (HTTP/1.1) on a private current-thread
//! tokio runtime, on a background thread. Callers need no async runtime.
//!
//! Hostile and careless clients (see `admission.rs` for the policy):
//! at most `max_connections` connections are open; at the cap the one
//! idle the longest (no complete request: just opened, sending its head
//! slowly, or between keep-alive requests) is closed to admit the
//! newcomer, so idle floods and slowloris clients cannot lock a scraper
//! out. When every connection has a request in progress, newcomers go
//! to a separate overflow budget of
//! [`OVERFLOW_CONNECTIONS`](crate::OVERFLOW_CONNECTIONS) one-request
//! connections that answer `/-/healthy` with 200 and anything else with
//! 503 and `Retry-After`; past that, a canned 503 is written and the
//! connection closed. Health is always answered on the connection's
//! own task, never queued behind an encoding. A request head must
//! arrive within the read timeout; a write that makes no progress for
//! the write timeout drops the connection. Memory held by responses to
//! clients that stop reading is bounded by the handler's budget
//! ([`HandlerConfig::max_held_response_bytes`](crate::HandlerConfig::max_held_response_bytes)).

use std::future::Future;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::http::{Request, Response};
use tally_core::Registry;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;

use super::body::ServedBody;
use super::error::ServeError;
use super::handler::{overloaded, Handler};
use super::listener::{accept_loop, Responder};
use super::options::ServeOptions;
use super::routes::HEALTH_PATH;

/// The address [`serve_default`] binds: loopback only, port 9464 (the
/// OpenTelemetry Prometheus exporter's registered default).
pub const DEFAULT_ADDR: &str = "127.0.0.1:9464";

/// Connections the kernel queues until they are accepted. Large, so a
/// flood of reconnecting clients does not fill the queue and make a
/// scraper's connection attempt wait for a SYN retransmission (1 s+).
pub(crate) const LISTEN_BACKLOG: u32 = 4096;

/// Encodings that can run at once (one per format and encoding; more
/// cannot run, since concurrent scrapes of one variant share one).
const MAX_ENCODING_THREADS: usize = 16;

/// Serves [`Registry::global`] at `addr` on a background thread, with the
/// default [`HandlerConfig`](crate::HandlerConfig) and timeouts. Keep the
/// handle: dropping it stops the server (or call
/// [`ServerHandle::detach`]).
///
/// ```no_run
/// let server = tally_export::serve("127.0.0.1:9464").unwrap();
/// println!("metrics at http://{}/metrics", server.local_addr());
/// ```
pub fn serve(addr: impl ToSocketAddrs) -> Result<ServerHandle, ServeError> {
    Server::builder().bind(addr).start()
}

/// [`serve`] at [`DEFAULT_ADDR`] (`127.0.0.1:9464`).
pub fn serve_default() -> Result<ServerHandle, ServeError> {
    serve(DEFAULT_ADDR)
}

/// Entry point of the standalone server; see [`Server::builder`].
#[derive(Debug)]
pub struct Server(());

impl Server {
    /// A builder: bind address (default [`DEFAULT_ADDR`]), handler
    /// (default: [`Registry::global`] with the default configuration) and
    /// timeouts.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tally_export::{Handler, Server};
    /// let registry = Arc::new(tally_core::Registry::new());
    /// let server = Server::builder()
    ///     .bind("127.0.0.1:0")
    ///     .handler(Handler::new(registry).unwrap())
    ///     .start()
    ///     .unwrap();
    /// assert!(server.local_addr().ip().is_loopback());
    /// server.shutdown();
    /// ```
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            addr: DEFAULT_ADDR.to_socket_addrs().map(Iterator::collect),
            handler: None,
            process_metrics: true,
            options: ServeOptions::default().max_connections(64),
        }
    }
}

/// Configures and starts a [`Server`].
#[derive(Debug)]
pub struct ServerBuilder {
    addr: io::Result<Vec<SocketAddr>>,
    handler: Option<Arc<Handler>>,
    process_metrics: bool,
    options: ServeOptions,
}

impl ServerBuilder {
    /// Where to listen (port 0 picks a free port; see
    /// [`ServerHandle::local_addr`]).
    pub fn bind(mut self, addr: impl ToSocketAddrs) -> Self {
        self.addr = addr.to_socket_addrs().map(Iterator::collect);
        self
    }

    /// The handler to serve.
    pub fn handler(mut self, handler: impl Into<Arc<Handler>>) -> Self {
        self.handler = Some(handler.into());
        self
    }

    /// The connection limits: timeouts, connection cap, shutdown time
    /// (the one [`ServeOptions`] type `serve_axum` takes too). Default:
    /// [`ServeOptions::default`] with 64 connections. Validated at
    /// [`start`](Self::start) (an `Err` for a value out of range).
    pub fn options(mut self, options: ServeOptions) -> Self {
        self.options = options;
        self
    }

    /// Deprecated: `.options(ServeOptions::default().read_timeout(..))`.
    #[deprecated(
        since = "0.1.0",
        note = "use `options(ServeOptions::default().read_timeout(..))`"
    )]
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.read_timeout(timeout);
        self
    }

    /// Deprecated: `.options(ServeOptions::default().write_timeout(..))`.
    #[deprecated(
        since = "0.1.0",
        note = "use `options(ServeOptions::default().write_timeout(..))`"
    )]
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.write_timeout(timeout);
        self
    }

    /// Deprecated: `.options(ServeOptions::default().max_connections(..))`.
    #[deprecated(
        since = "0.1.0",
        note = "use `options(ServeOptions::default().max_connections(..))`"
    )]
    pub fn max_connections(mut self, n: usize) -> Self {
        self.options = self.options.max_connections(n);
        self
    }

    /// Whether [`start`](Self::start) registers the
    /// [`ProcessCollector`](crate::ProcessCollector) (`process_cpu_seconds_total`,
    /// `process_resident_memory_bytes`, ...) into the served registry:
    /// on by default. A process family whose name the registry already
    /// has (e.g. from a crate emitting through the `metrics` recorder) is
    /// left to its owner, not registered twice: serving never fails for
    /// it.
    pub fn process_metrics(mut self, on: bool) -> Self {
        self.process_metrics = on;
        self
    }

    /// Binds, then serves on a new background thread.
    pub fn start(self) -> Result<ServerHandle, ServeError> {
        let limits = self.options.limits()?;
        let handler = match self.handler {
            Some(handler) => handler,
            None => Arc::new(Handler::new(Registry::global())?),
        };
        let addrs = self.addr.map_err(ServeError::Bind)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .max_blocking_threads(handler.max_concurrent_scrapes().min(MAX_ENCODING_THREADS))
            .thread_name("tally-http-scrape")
            .build()
            .map_err(ServeError::Start)?;
        let listener = {
            let _in_runtime = runtime.enter();
            listen(&addrs).map_err(ServeError::Bind)?
        };
        let local_addr = listener.local_addr().map_err(ServeError::Bind)?;
        handler.bound_to(local_addr);
        // After binding, so a failed bind can be retried on another port.
        if self.process_metrics {
            crate::register_process_metrics(handler.registry())?;
        }
        let (stop, stopped) = watch::channel(());
        let thread = std::thread::Builder::new()
            .name("tally-http".into())
            .spawn(move || {
                let mut stopped = stopped;
                let stop = async move {
                    let _ = stopped.changed().await;
                };
                runtime.block_on(accept_loop(
                    listener,
                    HandlerResponder(handler),
                    limits,
                    stop,
                ));
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(ServeError::Start)?;
        Ok(ServerHandle {
            local_addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A running server. Dropping it (or [`shutdown`](Self::shutdown)) stops
/// accepting, lets in-flight responses finish (bounded by the write
/// timeout) and joins the thread.
#[derive(Debug)]
#[must_use = "dropping the handle stops the server; keep it or call `detach`"]
pub struct ServerHandle {
    local_addr: SocketAddr,
    stop: Option<watch::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the server and waits for its thread to end.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    /// Lets the server run for the rest of the process.
    pub fn detach(mut self) {
        if let Some(stop) = self.stop.take() {
            std::mem::forget(stop);
        }
        self.thread.take();
    }

    fn stop_and_join(&mut self) {
        // Dropping the sender wakes every `changed()` with an error.
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Binds the first address that works, with a listen backlog of
/// [`LISTEN_BACKLOG`] (the kernel may cap it, at `net.core.somaxconn`).
pub(crate) fn listen(addrs: &[SocketAddr]) -> io::Result<TcpListener> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to bind");
    for addr in addrs {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        };
        let bound = socket.and_then(|socket| {
            socket.set_reuseaddr(true)?;
            socket.bind(*addr)?;
            socket.listen(LISTEN_BACKLOG)
        });
        match bound {
            Ok(listener) => return Ok(listener),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The standalone server's answers: the handler, and on overflow
/// connections health or 503.
#[derive(Clone)]
struct HandlerResponder(Arc<Handler>);

impl Responder for HandlerResponder {
    type Body = ServedBody;

    fn respond(
        self,
        request: Request<Incoming>,
    ) -> impl Future<Output = Response<ServedBody>> + Send + 'static {
        let handler = self.0;
        async move {
            let (parts, _body) = request.into_parts();
            handler
                .serve(&parts.method, path_and_query(&parts.uri), &parts.headers)
                .await
        }
    }

    fn overflow(
        self,
        request: Request<Incoming>,
    ) -> impl Future<Output = Response<ServedBody>> + Send + 'static {
        let handler = self.0;
        async move {
            let (parts, _body) = request.into_parts();
            if parts.uri.path() == HEALTH_PATH {
                handler
                    .serve(&parts.method, path_and_query(&parts.uri), &parts.headers)
                    .await
            } else {
                overloaded("too many connections\n").map(ServedBody::full)
            }
        }
    }
}

/// The request target's path and query (the query carries `name[]=`).
pub(crate) fn path_and_query(uri: &hyper::http::Uri) -> &str {
    uri.path_and_query()
        .map_or_else(|| uri.path(), |p| p.as_str())
}
