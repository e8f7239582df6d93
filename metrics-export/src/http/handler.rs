//! The transport-agnostic handler: routing, authentication, the
//! concurrent-scrape cap, format negotiation, encoding and gzip.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use hyper::http::header::{
    ACCEPT, ACCEPT_ENCODING, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE,
    RETRY_AFTER, VARY, WWW_AUTHENTICATE,
};
use hyper::http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use metrics_core::{Registry, RegistryError};

use super::auth::Auth;
use super::gzip;
use super::page::{self, PagePathError, PagePaths, INDEX_PATH};
use super::telemetry::{ScrapeOutcome, Telemetry};
use crate::encode::{encode, encode_page_json, Format, Negotiated};

/// The path of the metrics endpoint (format negotiated from `Accept`).
pub const METRICS_PATH: &str = "/metrics";
/// The path of the JSON endpoint (always JSON, like Go's expvar).
pub const DEBUG_VARS_PATH: &str = "/debug/vars";
/// The path of the health endpoint: `200 OK`, never authenticated, never
/// capped, no snapshot taken.
pub const HEALTH_PATH: &str = "/-/healthy";

/// The registry a [`Handler`] serves: the process-wide one or a shared one.
#[derive(Clone)]
pub enum RegistrySource {
    /// A registry that lives for the whole process, e.g.
    /// [`Registry::global`].
    Static(&'static Registry),
    /// A registry shared with the application.
    Shared(Arc<Registry>),
}

impl RegistrySource {
    fn get(&self) -> &Registry {
        match self {
            RegistrySource::Static(r) => r,
            RegistrySource::Shared(r) => r,
        }
    }
}

impl From<&'static Registry> for RegistrySource {
    fn from(registry: &'static Registry) -> Self {
        RegistrySource::Static(registry)
    }
}

impl From<Arc<Registry>> for RegistrySource {
    fn from(registry: Arc<Registry>) -> Self {
        RegistrySource::Shared(registry)
    }
}

/// How a [`Handler`] serves: authentication, scrape cap, self-telemetry.
///
/// ```
/// use metrics_export::{Auth, HandlerConfig};
/// let config = HandlerConfig::default().auth(Auth::bearer("s3cret")).max_concurrent_scrapes(2);
/// ```
#[derive(Clone, Debug)]
pub struct HandlerConfig {
    auth: Option<Auth>,
    max_concurrent_scrapes: usize,
    telemetry: bool,
    /// Where the live page and its JSON are served; `None`: disabled.
    page: Option<PagePaths>,
}

impl Default for HandlerConfig {
    /// No authentication, at most 4 concurrent scrapes, self-telemetry on.
    fn default() -> Self {
        HandlerConfig {
            auth: None,
            max_concurrent_scrapes: 4,
            telemetry: true,
            page: Some(PagePaths::default()),
        }
    }
}

impl HandlerConfig {
    /// Require these credentials on `/metrics` and `/debug/vars` (401
    /// otherwise), and on the live page and its JSON. The health endpoint
    /// and the index at `/` (links only) stay open.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// At most `n` scrapes encode at once (at least 1); past it a scrape
    /// gets `503 Service Unavailable` with `Retry-After` at once.
    pub fn max_concurrent_scrapes(mut self, n: usize) -> Self {
        self.max_concurrent_scrapes = n.max(1);
        self
    }

    /// Whether the handler registers and updates its self-telemetry
    /// families (on by default).
    pub fn telemetry(mut self, on: bool) -> Self {
        self.telemetry = on;
        self
    }

    /// Whether to serve the live metrics page at
    /// [`PAGE_PATH`](crate::PAGE_PATH) (or [`page_path`](Self::page_path))
    /// and the JSON it polls at that path plus `.json` (on by default).
    /// Both take the same credentials as `/metrics`; a poll counts as a
    /// JSON scrape against the concurrent-scrape cap.
    pub fn page(mut self, on: bool) -> Self {
        self.page = on.then(|| self.page.take().unwrap_or_default());
        self
    }

    /// Serve the live page at `path` (and its JSON at `path` + `.json`)
    /// instead of [`PAGE_PATH`](crate::PAGE_PATH); enables the page. An
    /// `Err` unless `path` is absolute, visible ASCII without `?`, `#`,
    /// `%` or a trailing `/`, and free.
    pub fn page_path(mut self, path: &str) -> Result<Self, PagePathError> {
        self.page = Some(PagePaths::new(path)?);
        Ok(self)
    }
}

/// Serves a registry over HTTP, independent of any transport: give it a
/// request's method, path and headers, get a complete response back.
///
/// Routes: [`METRICS_PATH`] (format from `Accept`: Prometheus text for
/// curl and browsers, OpenMetrics or protobuf for Prometheus), then
/// [`DEBUG_VARS_PATH`] (JSON) and [`HEALTH_PATH`], the live page and its
/// JSON ([`PAGE_PATH`](crate::PAGE_PATH) unless configured or disabled)
/// and an index at `/`. `GET` and `HEAD` only (405 otherwise), 404
/// elsewhere. Bodies are gzipped when
/// `Accept-Encoding` allows. A panic while snapshotting or encoding is
/// caught and answered with 500; it never reaches the caller.
///
/// Encoding is synchronous CPU work: async transports should call
/// [`handle`](Self::handle) on a blocking thread (the bundled server and
/// the axum integration do).
pub struct Handler {
    registry: RegistrySource,
    config: HandlerConfig,
    in_flight: AtomicUsize,
    telemetry: Option<Telemetry>,
}

impl Handler {
    /// A handler with the default configuration; registers the
    /// self-telemetry families into `registry` (an `Err` if their names
    /// are taken, e.g. by another handler on the same registry).
    pub fn new(registry: impl Into<RegistrySource>) -> Result<Self, RegistryError> {
        Self::with_config(registry, HandlerConfig::default())
    }

    /// A handler with `config`; see [`new`](Self::new).
    pub fn with_config(
        registry: impl Into<RegistrySource>,
        config: HandlerConfig,
    ) -> Result<Self, RegistryError> {
        let registry = registry.into();
        let telemetry = if config.telemetry {
            Some(Telemetry::register(registry.get())?)
        } else {
            None
        };
        Ok(Handler {
            registry,
            config,
            in_flight: AtomicUsize::new(0),
            telemetry,
        })
    }

    /// The registry this handler serves.
    pub fn registry(&self) -> &Registry {
        self.registry.get()
    }

    /// The configured cap on concurrent scrapes.
    pub fn max_concurrent_scrapes(&self) -> usize {
        self.config.max_concurrent_scrapes
    }

    /// The live page's path and its JSON's, unless disabled.
    pub(crate) fn page_paths(&self) -> Option<(&str, &str)> {
        self.config
            .page
            .as_ref()
            .map(|p| (p.html.as_str(), p.json.as_str()))
    }

    /// Answers one request. `path` may carry a query string (ignored).
    pub fn handle(&self, method: &Method, path: &str, headers: &HeaderMap) -> Response<Bytes> {
        let path = path.split('?').next().unwrap_or(path);
        let page = self.config.page.as_ref();
        let (json, page_json) = match path {
            HEALTH_PATH => return check_method(method).unwrap_or_else(|| health(method)),
            METRICS_PATH => (false, false),
            DEBUG_VARS_PATH => (true, false),
            INDEX_PATH => return self.html(method, headers, None),
            _ if page.is_some_and(|p| p.html == path) => {
                return self.html(method, headers, page);
            }
            _ if page.is_some_and(|p| p.json == path) => (true, true),
            _ => return plain(StatusCode::NOT_FOUND, "not found\n"),
        };
        if let Some(refused) = check_method(method) {
            return refused;
        }
        let negotiated = if json {
            Format::Json.negotiated()
        } else {
            Format::negotiate_accept(header(headers, ACCEPT.as_str()))
        };
        let (outcome, response) = self.scrape(negotiated, page_json, headers);
        if let Some(telemetry) = &self.telemetry {
            telemetry.count(negotiated.format.into(), outcome);
        }
        let mut response = response;
        if method == Method::HEAD {
            *response.body_mut() = Bytes::new();
        }
        response
    }

    /// The live page (`page` set: it is served) or the index at `/`
    /// (open: it holds links only).
    fn html(
        &self,
        method: &Method,
        headers: &HeaderMap,
        page: Option<&PagePaths>,
    ) -> Response<Bytes> {
        if let Some(refused) = check_method(method) {
            return refused;
        }
        let gzip = gzip::accepts_gzip(header(headers, ACCEPT_ENCODING.as_str()));
        let mut response = match page {
            Some(_) => {
                if let Some(auth) = &self.config.auth {
                    if !auth.accepts(header(headers, AUTHORIZATION.as_str())) {
                        return unauthorized(auth);
                    }
                }
                page::page_response(gzip)
            }
            None => page::index_response(self.config.page.as_ref()),
        };
        if method == Method::HEAD {
            *response.body_mut() = Bytes::new();
        }
        response
    }

    /// Authenticates, takes a scrape slot, encodes (the live page's JSON
    /// when `page_json`) and compresses.
    fn scrape(
        &self,
        negotiated: Negotiated,
        page_json: bool,
        headers: &HeaderMap,
    ) -> (ScrapeOutcome, Response<Bytes>) {
        let format = negotiated.format;
        if let Some(auth) = &self.config.auth {
            if !auth.accepts(header(headers, AUTHORIZATION.as_str())) {
                return (ScrapeOutcome::Unauthorized, unauthorized(auth));
            }
        }
        let Some(_slot) = self.try_acquire() else {
            let mut response = plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many concurrent scrapes\n",
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            return (ScrapeOutcome::Overloaded, response);
        };
        let start = Instant::now();
        let encoded = catch_unwind(AssertUnwindSafe(|| {
            let snapshot = self.registry.get().snapshot();
            let mut body = Vec::with_capacity(4096);
            if page_json {
                encode_page_json(&snapshot, &mut body);
            } else {
                encode(format, &snapshot, &mut body);
            }
            (snapshot, body)
        }));
        let Ok((snapshot, body)) = encoded else {
            return (
                ScrapeOutcome::Failed,
                plain(StatusCode::INTERNAL_SERVER_ERROR, "encoding failed\n"),
            );
        };
        if let Some(telemetry) = &self.telemetry {
            telemetry.observe_snapshot(&snapshot, start.elapsed());
        }
        drop(snapshot);
        let gzip = gzip::accepts_gzip(header(headers, ACCEPT_ENCODING.as_str()));
        let body = if gzip { gzip::compress(&body) } else { body };
        let mut response = Response::new(Bytes::from(body));
        let h = response.headers_mut();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static(negotiated.content_type),
        );
        h.insert(VARY, HeaderValue::from_static("Accept, Accept-Encoding"));
        if gzip {
            h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        if page_json {
            h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        (ScrapeOutcome::Ok, response)
    }

    /// A scrape slot, or `None` at the cap; released when dropped.
    fn try_acquire(&self) -> Option<Slot<'_>> {
        let cap = self.config.max_concurrent_scrapes;
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < cap).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(&self.in_flight))
    }
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler")
            .field("config", &self.config)
            .field("telemetry", &self.telemetry.is_some())
            .finish_non_exhaustive()
    }
}

/// One taken scrape slot.
struct Slot<'a>(&'a AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A header's value as text, if present and visible ASCII.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// 405 unless the method is GET or HEAD.
fn check_method(method: &Method) -> Option<Response<Bytes>> {
    if method == Method::GET || method == Method::HEAD {
        return None;
    }
    let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    Some(response)
}

fn health(method: &Method) -> Response<Bytes> {
    let mut response = plain(StatusCode::OK, "OK\n");
    if method == Method::HEAD {
        *response.body_mut() = Bytes::new();
    }
    response
}

fn unauthorized(auth: &Auth) -> Response<Bytes> {
    let mut response = plain(StatusCode::UNAUTHORIZED, "unauthorized\n");
    for challenge in auth.challenges() {
        response
            .headers_mut()
            .append(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    }
    response
}

/// A short plain-text response.
pub(crate) fn plain(status: StatusCode, body: &'static str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(body.as_bytes()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
