//! Mounting the handler into an axum application (feature `axum`), and
//! serving the application with the standalone server's protections.

use std::future::Future;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tower::Service;

use super::error::ServeError;
use super::handler::Handler;
use super::listener::{accept_loop, Responder};
use super::options::ServeOptions;
use super::routes::{DEBUG_VARS_PATH, HEALTH_PATH, METRICS_PATH};
use super::server::path_and_query;

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
