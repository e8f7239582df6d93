//! The transport-agnostic handler: routing, authentication, the
//! concurrent-scrape cap, format negotiation, encoding and gzip.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use hyper::http::header::{
    ACCEPT, ACCEPT_ENCODING, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE,
    RETRY_AFTER, VARY, WWW_AUTHENTICATE, X_CONTENT_TYPE_OPTIONS,
};
use hyper::http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use tally_core::{Registry, RegistryError};

use super::auth::Auth;
use super::coalesce::{Budget, Flights, Variant};
use super::gzip::{self, Coding};
use super::host::{AllowedHostError, HostPolicy};
use super::page::{self, PagePathError, PagePaths};
use super::routes::{DEBUG_VARS_PATH, HEALTH_PATH, INDEX_PATH, METRICS_PATH};
use super::telemetry::{ScrapeOutcome, Telemetry};
use crate::read::encode::Format;

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
    pub(crate) fn get(&self) -> &Registry {
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
/// use tally_export::{Auth, HandlerConfig};
/// let config = HandlerConfig::default().auth(Auth::bearer("s3cret")).max_concurrent_scrapes(2);
/// ```
#[derive(Clone, Debug)]
pub struct HandlerConfig {
    auth: Option<Auth>,
    max_concurrent_scrapes: usize,
    telemetry: bool,
    /// Where the live page and its JSON are served; `None`: disabled.
    page: Option<PagePaths>,
    max_held_response_bytes: usize,
    hosts: HostPolicy,
}

/// Default of [`HandlerConfig::max_held_response_bytes`]: 16 MiB.
pub const DEFAULT_MAX_HELD_RESPONSE_BYTES: usize = 16 << 20;

impl Default for HandlerConfig {
    /// No authentication, at most 4 concurrent scrapes, self-telemetry
    /// on, 16 MiB of response bodies held (see
    /// [`max_held_response_bytes`](Self::max_held_response_bytes)).
    fn default() -> Self {
        HandlerConfig {
            auth: None,
            max_concurrent_scrapes: 4,
            telemetry: true,
            page: Some(PagePaths::default()),
            max_held_response_bytes: DEFAULT_MAX_HELD_RESPONSE_BYTES,
            hosts: HostPolicy::Auto,
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

    /// At most `n` encodings run at once (0 counts as 1; any larger
    /// value is valid). A scrape that arrives while a scrape of the same
    /// format and encoding is running joins it and shares its body
    /// instead of encoding again; past the cap, a scrape that would
    /// start a new encoding gets `503 Service Unavailable` with
    /// `Retry-After` at once.
    pub fn max_concurrent_scrapes(mut self, n: usize) -> Self {
        self.max_concurrent_scrapes = n.max(1);
        self
    }

    /// Bound on the bytes of finished response bodies still being sent
    /// (default [`DEFAULT_MAX_HELD_RESPONSE_BYTES`]). A client that stops
    /// reading holds its body until the transport's write timeout; while
    /// the bodies held reach `n`, a scrape that would start a new
    /// encoding waits up to 2 s for them to drop (bundled transports;
    /// [`handle`](Handler::handle) does not wait), then gets 503 with
    /// `Retry-After` (joining one in progress still works). Held bytes
    /// stay below `n + e x B`, where `e` is the number of encodings
    /// running (at most the scrape cap, and at most one per format and
    /// encoding) and `B` the largest body; a new encoding always starts
    /// when nothing is held, so 0 means one body at a time. Any value is
    /// valid. Raise it for expositions over ~8 MiB scraped by several
    /// servers at once (a gzipped body is ~10x smaller).
    pub fn max_held_response_bytes(mut self, n: usize) -> Self {
        self.max_held_response_bytes = n;
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
    /// `Err` unless `path` is absolute, holds only path characters (ASCII
    /// letters, digits and `-._~!$&'()*+,;=:@/`) without an empty, `.` or
    /// `..` segment or a trailing `/`, and is free.
    pub fn page_path(mut self, path: &str) -> Result<Self, PagePathError> {
        self.page = Some(PagePaths::new(path)?);
        Ok(self)
    }

    /// Answer requests whose `Host` is one of `hosts` (besides loopback
    /// names and IP literals), and no other, wherever the server is
    /// bound: the guard against DNS rebinding for a server reached by
    /// name. An entry is a host name (`metrics.internal`), or `*.` and a
    /// name for any of its subdomains; compared without case or port.
    /// An `Err` for anything else (a port, a path, a scheme, a space).
    ///
    /// By default, the standalone [`Server`](crate::Server) bound to a
    /// loopback address answers only loopback names (`localhost`,
    /// `*.localhost`) and IP literals, so a web page that rebinds its
    /// own name to 127.0.0.1 cannot read the metrics; bound elsewhere it
    /// answers any `Host`. Other requests get `403 Forbidden`.
    ///
    /// ```
    /// use tally_export::HandlerConfig;
    /// let config = HandlerConfig::default().allowed_hosts(["metrics.internal"]).unwrap();
    /// assert!(HandlerConfig::default().allowed_hosts(["metrics.internal:9464"]).is_err());
    /// ```
    pub fn allowed_hosts<I, S>(mut self, hosts: I) -> Result<Self, AllowedHostError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.hosts = HostPolicy::list(hosts)?;
        Ok(self)
    }

    /// Answer any `Host`, even bound to loopback: for a server behind a
    /// proxy that checks the host itself (see
    /// [`allowed_hosts`](Self::allowed_hosts)).
    pub fn any_host(mut self) -> Self {
        self.hosts = HostPolicy::Any;
        self
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
    pub(super) registry: RegistrySource,
    config: HandlerConfig,
    in_flight: Arc<AtomicUsize>,
    pub(super) telemetry: Option<Telemetry>,
    pub(super) flights: Arc<Flights>,
    pub(super) budget: Arc<Budget>,
    /// Served by a server bound to a loopback address (the `Host` check).
    loopback: AtomicBool,
}

/// A request after routing, method check, authentication and
/// negotiation: answered already, or a scrape to run.
pub(crate) enum Prepared {
    /// The complete response (errors, health, answers to HEAD).
    Ready(Response<Bytes>),
    /// A GET scrape of this variant, of every family or of the named ones
    /// (`name[]=` query parameters).
    Scrape(Variant, Option<Arc<[String]>>),
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
        let budget = Budget::new(config.max_held_response_bytes);
        Ok(Handler {
            registry,
            config,
            in_flight: Arc::new(AtomicUsize::new(0)),
            telemetry,
            flights: Arc::default(),
            budget,
            loopback: AtomicBool::new(false),
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
    #[cfg(feature = "axum")]
    pub(crate) fn page_paths(&self) -> Option<(&str, &str)> {
        self.config
            .page
            .as_ref()
            .map(|p| (p.html.as_str(), p.json.as_str()))
    }

    /// Notes that a server bound to `addr` serves this handler: bound to
    /// loopback, only loopback `Host` names are answered by default.
    pub(crate) fn bound_to(&self, addr: std::net::SocketAddr) {
        if addr.ip().is_loopback() {
            self.loopback.store(true, Ordering::Relaxed);
        }
    }

    /// Answers one request. `path` may carry a query string (ignored).
    pub fn handle(&self, method: &Method, path: &str, headers: &HeaderMap) -> Response<Bytes> {
        match self.prepare(method, path, headers) {
            Prepared::Ready(response) => response,
            Prepared::Scrape(variant, names) => self.scrape_blocking(variant, names),
        }
    }

    /// Routes, checks the method and credentials and negotiates; what is
    /// left is a scrape to run (a GET on a metrics path). Cheap: async
    /// transports call it on their own task.
    pub(crate) fn prepare(&self, method: &Method, path: &str, headers: &HeaderMap) -> Prepared {
        if !self
            .config
            .hosts
            .allows(headers, self.loopback.load(Ordering::Relaxed))
        {
            return Prepared::Ready(plain(
                StatusCode::FORBIDDEN,
                "this server does not answer that Host (see HandlerConfig::allowed_hosts)\n",
            ));
        }
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let page = self.config.page.as_ref();
        let (json, page_json) = match path {
            HEALTH_PATH => {
                return Prepared::Ready(check_method(method).unwrap_or_else(|| health(method)))
            }
            METRICS_PATH => (false, false),
            DEBUG_VARS_PATH => (true, false),
            INDEX_PATH => return Prepared::Ready(self.html(method, headers, None)),
            _ if page.is_some_and(|p| p.html == path) => {
                return Prepared::Ready(self.html(method, headers, page));
            }
            _ if page.is_some_and(|p| p.json == path) => (true, true),
            _ => return Prepared::Ready(plain(StatusCode::NOT_FOUND, "not found\n")),
        };
        if let Some(refused) = check_method(method) {
            return Prepared::Ready(refused);
        }
        let negotiated = if json {
            Format::Json.negotiated()
        } else {
            Format::negotiate_accept(header(headers, ACCEPT.as_str()))
        };
        if let Some(auth) = &self.config.auth {
            if !auth.accepts(header(headers, AUTHORIZATION.as_str())) {
                self.count(negotiated.format, ScrapeOutcome::Unauthorized);
                return Prepared::Ready(unauthorized(auth));
            }
        }
        let variant = Variant {
            format: negotiated.format,
            content_type: negotiated.content_type,
            page_json,
            coding: Coding::negotiate(header(headers, ACCEPT_ENCODING.as_str())),
        };
        if method == Method::HEAD {
            // The headers a GET would get, with nothing snapshotted or
            // encoded: no Content-Length, since the length is not known.
            let mut response = Response::new(Bytes::new());
            scrape_headers(variant, response.headers_mut());
            return Prepared::Ready(response);
        }
        Prepared::Scrape(variant, family_names(query))
    }

    /// Counts one scrape in `tally_scrapes_total`.
    pub(super) fn count(&self, format: Format, outcome: ScrapeOutcome) {
        if let Some(telemetry) = &self.telemetry {
            telemetry.count(format, outcome);
        }
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

    /// A scrape slot, or `None` at the cap; released when dropped.
    pub(super) fn try_acquire(&self) -> Option<Slot> {
        let cap = self.config.max_concurrent_scrapes;
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < cap).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(self.in_flight.clone()))
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
pub(super) struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The headers of a scrape's response, for GET and HEAD alike.
pub(super) fn scrape_headers(variant: Variant, h: &mut HeaderMap) {
    h.insert(CONTENT_TYPE, HeaderValue::from_static(variant.content_type));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(VARY, HeaderValue::from_static("Accept, Accept-Encoding"));
    if let Some(coding) = variant.coding.header() {
        h.insert(CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    if variant.page_json {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// 503 with `Retry-After: 1`.
pub(super) fn overloaded(body: &'static str) -> Response<Bytes> {
    let mut response = plain(StatusCode::SERVICE_UNAVAILABLE, body);
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The family names asked for by `name[]=` query parameters (as
/// client_golang's handler takes them), if any: a counter by its family
/// name or with `_total`. Percent escapes are decoded; other parameters
/// are ignored.
fn family_names(query: &str) -> Option<Arc<[String]>> {
    let names: Vec<String> = query
        .split('&')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (percent_decode(key) == "name[]").then(|| percent_decode(value))
        })
        .filter(|name| !name.is_empty())
        .collect();
    (!names.is_empty()).then(|| names.into())
}

/// `s` with `%XX` escapes and `+` decoded (lossy UTF-8; a malformed
/// escape stays as it is).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

#[cfg(test)]
mod tests {
    use super::family_names;

    #[test]
    fn name_parameters_are_read_and_decoded() {
        assert!(family_names("").is_none());
        assert!(family_names("x=1&name=foo").is_none());
        assert!(family_names("name[]=").is_none());
        let names = family_names("name[]=a_total&x=1&name%5B%5D=b%3Ac&name[]=%zz").unwrap();
        assert_eq!(&*names, ["a_total", "b:c", "%zz"]);
    }
}
