//! Mounting the handler into an axum application (feature `axum`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use hyper::http::StatusCode;

use super::handler::{plain, Handler, DEBUG_VARS_PATH, HEALTH_PATH, METRICS_PATH};

/// A router serving `handler` at [`METRICS_PATH`], [`DEBUG_VARS_PATH`],
/// [`HEALTH_PATH`] and, unless disabled, the live page and its JSON
/// ([`PAGE_PATH`](crate::PAGE_PATH), [`PAGE_JSON_PATH`](crate::PAGE_JSON_PATH)),
/// to [`merge`](Router::merge) or
/// [`nest`](Router::nest) into an application's router. The handler
/// itself answers 405 for methods other than GET and HEAD. Encoding runs
/// on tokio's blocking pool when inside a tokio runtime.
///
/// ```
/// use std::sync::Arc;
/// use metrics_export::{axum_router, Handler};
/// let registry = Arc::new(metrics_core::Registry::new());
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
    let run = move || handler.handle(&parts.method, parts.uri.path(), &parts.headers);
    let response = if tokio::runtime::Handle::try_current().is_ok() {
        tokio::task::spawn_blocking(run)
            .await
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n"))
    } else {
        run()
    };
    response.map(Body::from)
}
