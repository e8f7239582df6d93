//! The standalone server: hyper (HTTP/1.1) on a private current-thread
//! tokio runtime, on a background thread. Callers need no async runtime.

use std::convert::Infallible;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener, ToSocketAddrs};
use std::pin::pin;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::http::{Request, Response, StatusCode};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics_core::{Registry, RegistryError};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout};

use super::handler::{plain, Handler};
use super::timed_io::TimedIo;

/// The address [`serve_default`] binds: loopback only, port 9464 (the
/// OpenTelemetry Prometheus exporter's registered default).
pub const DEFAULT_ADDR: &str = "127.0.0.1:9464";

/// Largest request head accepted, in bytes (bigger ones are refused).
const MAX_HEAD_BYTES: usize = 16 * 1024;

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
}

/// Serves [`Registry::global`] at `addr` on a background thread, with the
/// default [`HandlerConfig`](crate::HandlerConfig) and timeouts. Keep the
/// handle: dropping it stops the server (or call
/// [`ServerHandle::detach`]).
///
/// ```no_run
/// let server = metrics_export::serve("127.0.0.1:9464").unwrap();
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
    /// use metrics_export::{Handler, Server};
    /// let registry = Arc::new(metrics_core::Registry::new());
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
            options: Options {
                read_timeout: Duration::from_secs(10),
                write_timeout: Duration::from_secs(10),
                max_connections: 64,
            },
        }
    }
}

/// Configures and starts a [`Server`].
#[derive(Debug)]
pub struct ServerBuilder {
    addr: io::Result<Vec<SocketAddr>>,
    handler: Option<Arc<Handler>>,
    process_metrics: bool,
    options: Options,
}

#[derive(Clone, Copy, Debug)]
struct Options {
    read_timeout: Duration,
    write_timeout: Duration,
    max_connections: usize,
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

    /// How long a client has to send a complete request head, counted
    /// from when the connection opens or goes idle after a response
    /// (so it is the keep-alive idle timeout too). Default 10 s.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.options.read_timeout = timeout;
        self
    }

    /// How long a write may make no progress (a client that stops
    /// reading) before the connection is dropped. Default 10 s.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.options.write_timeout = timeout;
        self
    }

    /// Open connections allowed at once (default 64); connections past
    /// it are closed as soon as they are accepted.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.options.max_connections = n.max(1);
        self
    }

    /// Whether [`start`](Self::start) registers the
    /// [`ProcessCollector`](crate::ProcessCollector) (`process_cpu_seconds_total`,
    /// `process_resident_memory_bytes`, ...) into the served registry:
    /// on by default. Turn it off when the registry already has them
    /// (`start` would fail with [`ServeError::Registry`]).
    pub fn process_metrics(mut self, on: bool) -> Self {
        self.process_metrics = on;
        self
    }

    /// Binds, then serves on a new background thread.
    pub fn start(self) -> Result<ServerHandle, ServeError> {
        let handler = match self.handler {
            Some(handler) => handler,
            None => Arc::new(Handler::new(Registry::global())?),
        };
        let addrs = self.addr.map_err(ServeError::Bind)?;
        let listener = StdListener::bind(&addrs[..]).map_err(ServeError::Bind)?;
        listener.set_nonblocking(true).map_err(ServeError::Bind)?;
        let local_addr = listener.local_addr().map_err(ServeError::Bind)?;
        // After binding, so a failed bind can be retried on another port.
        if self.process_metrics {
            crate::register_process_metrics(handler.registry())?;
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .max_blocking_threads(handler.max_concurrent_scrapes() + 4)
            .thread_name("tally-http-scrape")
            .build()
            .map_err(ServeError::Start)?;
        let (stop, stopped) = watch::channel(());
        let options = self.options;
        let thread = std::thread::Builder::new()
            .name("tally-http".into())
            .spawn(move || {
                runtime.block_on(accept_loop(listener, handler, options, stopped));
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

async fn accept_loop(
    listener: StdListener,
    handler: Arc<Handler>,
    options: Options,
    mut stopped: watch::Receiver<()>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => {
                while connections.try_join_next().is_some() {}
                match accepted {
                    Ok((stream, _)) if connections.len() < options.max_connections => {
                        let _ = stream.set_nodelay(true);
                        let stopped = stopped.clone();
                        connections.spawn(connection(stream, handler.clone(), options, stopped));
                    }
                    Ok(_) => {} // Over the connection cap: closed at once.
                    // Out of file descriptors or the like: back off briefly.
                    Err(_) => sleep(Duration::from_millis(20)).await,
                }
            }
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    let _ = timeout(options.write_timeout, drain).await;
    connections.abort_all();
}

async fn connection(
    stream: TcpStream,
    handler: Arc<Handler>,
    options: Options,
    mut stopped: watch::Receiver<()>,
) {
    let io = TokioIo::new(TimedIo::new(stream, options.write_timeout));
    let service = service_fn(move |request| respond(handler.clone(), request));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.read_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    let mut conn = pin!(builder.serve_connection(io, service));
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stopped.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = timeout(options.write_timeout, conn).await;
        }
    }
}

async fn respond(
    handler: Arc<Handler>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, _body) = request.into_parts();
    let response = tokio::task::spawn_blocking(move || {
        handler.handle(&parts.method, parts.uri.path(), &parts.headers)
    })
    .await
    .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n"));
    Ok(response.map(Full::new))
}
