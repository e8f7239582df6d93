//! Mounting the handler into an axum application (feature `axum`), and
//! serving the application with the standalone server's protections.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tower::Service;

use super::accept::{accept_loop, Limits, Responder};
use super::handler::{Handler, DEBUG_VARS_PATH, HEALTH_PATH, METRICS_PATH};
use super::server::{path_and_query, Options, ServeError, MAX_TIMEOUT};

/// A router serving `handler` at [`METRICS_PATH`], [`DEBUG_VARS_PATH`],
/// [`HEALTH_PATH`] and, unless disabled, the live page and its JSON
/// ([`PAGE_PATH`](crate::PAGE_PATH), [`PAGE_JSON_PATH`](crate::PAGE_JSON_PATH)),
/// to [`merge`](Router::merge) or
/// [`nest`](Router::nest) into an application's router. The handler
/// itself answers 405 for methods other than GET and HEAD. Encoding runs
/// on tokio's blocking pool when inside a tokio runtime; concurrent
/// scrapes of one format share one encoding. Serve the application with
/// [`serve_axum`] for timeouts and connection limits.
///
/// ```
/// use std::sync::Arc;
/// use tally_export::{axum_router, Handler};
/// let registry = Arc::new(tally_core::Registry::new());
/// let app: axum::Router = axum::Router::new()
///     .merge(axum_router(Arc::new(Handler::new(registry).unwrap())));
/// ```
pub fn axum_router<S>(handler: Arc<Handler>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let page = handler
        .page_paths()
        .map(|(html, json)| (html.to_owned(), json.to_owned()));
    let serve = move |request: Request| respond(handler.clone(), request);
    let router = Router::new()
        .route(METRICS_PATH, any(serve.clone()))
        .route(DEBUG_VARS_PATH, any(serve.clone()))
        .route(HEALTH_PATH, any(serve.clone()));
    match page {
        Some((html, json)) => router
            .route(&html, any(serve.clone()))
            .route(&json, any(serve)),
        None => router,
    }
}

async fn respond(handler: Arc<Handler>, request: Request) -> Response {
    let (parts, _body) = request.into_parts();
    handler
        .serve(&parts.method, path_and_query(&parts.uri), &parts.headers)
        .await
        .map(Body::new)
}

/// Limits for [`serve_axum`]: the standalone server's protections for a
/// whole axum application.
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
    /// shutdown.
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
    /// from when the connection opens or goes idle (1 ms to
    /// [`MAX_TIMEOUT`]).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// How long a write may make no progress before the connection is
    /// dropped (1 ms to [`MAX_TIMEOUT`]).
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

    fn limits(&self) -> Result<Limits, ServeError> {
        Options {
            read_timeout: self.read_timeout,
            write_timeout: self.write_timeout,
            max_connections: self.max_connections,
        }
        .validate()?;
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

/// Serves `router` on `listener` (HTTP/1.1) until `shutdown` resolves,
/// with the standalone server's protections: a request head must arrive
/// within the read timeout, a stalled write is dropped after the write
/// timeout, at most `max_connections` connections (the one idle the
/// longest makes room for a newcomer; see [`ServeOptions`]), and
/// shutdown stops accepting at once and waits at most
/// `shutdown_timeout` for requests in progress. An `Err` only for
/// invalid options.
///
/// Bind the listener with a large backlog (`TcpSocket::listen(4096)`)
/// if clients may open connections faster than they are accepted.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use tally_export::{axum_router, serve_axum, Handler, ServeOptions};
/// let registry = Arc::new(tally_core::Registry::new());
/// let app = axum::Router::new().merge(axum_router(Arc::new(Handler::new(registry)?)));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let ctrl_c = async { let _ = tokio::signal::ctrl_c().await; };
/// serve_axum(listener, app, ServeOptions::default(), ctrl_c).await?;
/// # Ok(())
/// # }
/// ```
pub async fn serve_axum(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let limits = options.limits()?;
    accept_loop(listener, RouterResponder(router), limits, shutdown).await;
    Ok(())
}

/// Every request, overflow ones included, goes to the application's
/// router (its health route must keep answering past the cap).
#[derive(Clone)]
struct RouterResponder(Router);

impl Responder for RouterResponder {
    type Body = Body;

    fn respond(
        self,
        request: hyper::http::Request<Incoming>,
    ) -> impl Future<Output = Response> + Send + 'static {
        let mut router = self.0;
        async move {
            match router.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
    }

    fn overflow(
        self,
        request: hyper::http::Request<Incoming>,
    ) -> impl Future<Output = Response> + Send + 'static {
        self.respond(request)
    }
}
