//! HTTP server instrumentation: a [`tower::Layer`] recording the standard
//! HTTP server families for every request of the service it wraps
//! (feature `axum`).
//!
//! | family | kind | labels |
//! |---|---|---|
//! | `http_server_requests_total` | counter | `method`, `status`, `route` |
//! | `http_server_request_duration_seconds` | histogram (HDR) | `method`, `route` |
//! | `http_server_active_requests` | gauge | `method` |
//! | `http_server_request_body_size_bytes` | histogram (HDR) | `method`, `route` |
//! | `http_server_response_body_size_bytes` | histogram (HDR) | `method`, `route` |
//!
//! Every label is bounded. `method` is one of the common methods or
//! `_OTHER` (the OpenTelemetry convention); `status` is the status class
//! (`1xx` .. `5xx`: five values, where codes would be hundreds);
//! `route` is axum's [`MatchedPath`] (the route template, `/users/{id}`,
//! never the URI), held in a runtime-bounded label whose capacity is the
//! route type's (see [`HttpMetricsLayer`]); requests no route matched are
//! the one value `unmatched`, and routes past the capacity the counted
//! overflow value.
//!
//! A request is counted and timed when its response body has been sent
//! (or dropped: a client that went away); the duration runs from the
//! request reaching the layer to that point. A request dropped before its
//! handler produced a response (the client closed the connection) has no
//! status: it leaves the active gauge and is not counted. An inner
//! service's `Err` counts as a `5xx`, and so does a handler that panics:
//! the layer catches the panic while polling the inner future, counts and
//! times the request as a `5xx`, and answers `500 Internal Server Error`
//! with an empty body (the connection survives).
//!
//! Sizes are what passed, not what was declared: the request size is the
//! bytes of request body frames the handler read (recorded when the body
//! ends or is dropped; a body never read records 0, an upload aborted
//! after 1,000 bytes records 1,000 whatever its `Content-Length`), and the
//! response size is the bytes of response body frames handed to the
//! server (recorded at the end of the body or when it is dropped: a client
//! that leaves mid-download stops the count at what was handed over; the
//! kernel's socket buffers, which the layer cannot see, may hold some of
//! it).
//!
//! The metrics endpoints ([`METRICS_PATH`](crate::METRICS_PATH),
//! [`DEBUG_VARS_PATH`](crate::DEBUG_VARS_PATH), [`PAGE_PATH`](crate::PAGE_PATH),
//! [`PAGE_JSON_PATH`](crate::PAGE_JSON_PATH)) are not measured unless
//! [`HttpMetricsLayer::measure_metrics_endpoints`] asks: scrapes are not
//! traffic. Only what happened is exposed: the requests counter is
//! [`Sparse`] (a method × status × route combination appears with its
//! first request), the active gauge lists the methods seen, and the
//! histograms list the series that recorded something. A 3-route app
//! exposes about a dozen series instead of 349.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::MatchedPath;
use bytes::Buf;
use http_body::{Body, Frame, SizeHint};
use hyper::http::{Method, Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tally_core::{
    CollectError, Collected, Collector, Counter, Desc, DynamicLabel, DynamicLabelError, Gauge,
    Histogram, HistogramConfig, HistogramConfigError, LabelDesc, LabelSet, LabelValue, Metric,
    MetricKind, Registry, RegistryError, Sparse, Unit,
};
use tower::{Layer, Service};

tally_core::dynamic_label!(
    /// The default route label of [`HttpMetricsLayer`]: axum's matched
    /// route template, up to 64 routes (plus `unmatched`, which takes one
    /// place, and the counted overflow value). Declare your own with
    /// [`dynamic_label!`](tally_core::dynamic_label!) (`name = "route"`)
    /// for another capacity.
    pub Route, name = "route", capacity = 64
);

/// The `route` value of requests no route matched (axum's fallback, or
/// the layer applied outside the router). Never a raw path: axum route
/// templates start with `/`, so it cannot be taken by a route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The request method as a bounded label: the common methods, everything
/// else `_OTHER` (as OpenTelemetry's `http.request.method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, tally_derive::LabelValue)]
#[label(
    crate = "::tally_core",
    name = "method",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub(crate) enum HttpMethod {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
    /// `OPTIONS`
    Options,
    /// Any other method (`CONNECT`, `TRACE`, extensions).
    #[label(rename = "_OTHER")]
    Other,
}

impl HttpMethod {
    /// The label value of a request method.
    pub(crate) fn of(method: &Method) -> HttpMethod {
        match *method {
            Method::GET => HttpMethod::Get,
            Method::HEAD => HttpMethod::Head,
            Method::POST => HttpMethod::Post,
            Method::PUT => HttpMethod::Put,
            Method::DELETE => HttpMethod::Delete,
            Method::PATCH => HttpMethod::Patch,
            Method::OPTIONS => HttpMethod::Options,
            _ => HttpMethod::Other,
        }
    }
}

/// The status class of a response as a bounded label: `1xx` .. `5xx`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, tally_derive::LabelValue)]
#[label(crate = "::tally_core", name = "status")]
pub(crate) enum StatusClass {
    /// 100-199
    #[label(rename = "1xx")]
    Informational,
    /// 200-299
    #[label(rename = "2xx")]
    Success,
    /// 300-399
    #[label(rename = "3xx")]
    Redirection,
    /// 400-499
    #[label(rename = "4xx")]
    ClientError,
    /// 500 and above, and an inner service's `Err`.
    #[label(rename = "5xx")]
    ServerError,
}

impl StatusClass {
    /// The class of a status code.
    pub(crate) fn of(code: u16) -> StatusClass {
        match code {
            0..=199 => StatusClass::Informational,
            200..=299 => StatusClass::Success,
            300..=399 => StatusClass::Redirection,
            400..=499 => StatusClass::ClientError,
            _ => StatusClass::ServerError,
        }
    }
}

/// Why an [`HttpMetricsLayer`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum HttpMetricsError {
    /// A family name is taken in the registry (e.g. a second layer on it)
    /// or the prefix is invalid.
    #[error("cannot register the HTTP server families: {0}")]
    Registry(#[from] RegistryError),
    /// A histogram configuration was refused (not expected: they are
    /// constants).
    #[error("invalid histogram configuration: {0}")]
    Histogram(#[from] HistogramConfigError),
    /// The route label has no room for the `unmatched` value.
    #[error("the route label cannot hold `{UNMATCHED_ROUTE}`: {0}")]
    Route(#[from] DynamicLabelError),
}

/// Requests by method, status class and route.
const REQUESTS: Desc = Desc::from_static(
    "http_server_requests_total",
    "HTTP requests served, by method, status class and matched route.",
    None,
);
const DURATION: Desc = Desc::from_static(
    "http_server_request_duration",
    "Time from a request reaching the server to its response body sent, by method and route.",
    Some(Unit::SECONDS),
);
const ACTIVE: Desc = Desc::from_static(
    "http_server_active_requests",
    "Requests being served (response not yet fully sent), by method.",
    None,
);
const REQUEST_SIZE: Desc = Desc::from_static(
    "http_server_request_body_size",
    "Bytes of request bodies the handler read, by method and route.",
    Some(Unit::BYTES),
);
const RESPONSE_SIZE: Desc = Desc::from_static(
    "http_server_response_body_size",
    "Size of response bodies sent, by method and route.",
    Some(Unit::BYTES),
);

/// Body sizes are recorded from 0 bytes to 64 GiB.
const SIZE_CONFIG: HistogramConfig = HistogramConfig::raw(1, 1 << 36);

/// The paths of the metrics endpoints, not measured by default.
const METRICS_ENDPOINTS: [&str; 4] = [
    crate::routes::METRICS_PATH,
    crate::routes::DEBUG_VARS_PATH,
    crate::routes::PAGE_PATH,
    crate::routes::PAGE_JSON_PATH,
];

/// The active-requests gauge, exposing only the methods seen.
struct Active {
    gauge: Gauge<HttpMethod>,
    seen: [AtomicBool; <HttpMethod as LabelValue>::VALUES.len()],
}

impl Active {
    /// One more request of `method` in flight.
    fn inc(&self, method: HttpMethod) {
        let seen = &self.seen[method as usize];
        // A load per request; a store only the first time.
        if !seen.load(Relaxed) {
            seen.store(true, Relaxed);
        }
        self.gauge.with(method).inc();
    }

    fn dec(&self, method: HttpMethod) {
        self.gauge.with(method).dec();
    }
}

impl Metric for Active {
    fn kind(&self) -> MetricKind {
        MetricKind::Gauge
    }

    fn labels(&self) -> &'static LabelDesc {
        <HttpMethod as LabelSet>::DESC
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let mut collected = self.gauge.collect()?;
        collected
            .series
            .retain(|s| self.seen[s.index].load(Relaxed));
        Ok(collected)
    }
}

/// The families of one layer.
struct HttpMetrics<R: DynamicLabel> {
    descs: [Desc; 5],
    requests: Sparse<Counter<(HttpMethod, StatusClass, R)>>,
    duration: Histogram<(HttpMethod, R)>,
    active: Active,
    request_size: Histogram<(HttpMethod, R)>,
    response_size: Histogram<(HttpMethod, R)>,
    unmatched: R,
}

impl<R: DynamicLabel> Collector for HttpMetrics<R> {
    fn for_each_family(&self, visit: &mut dyn FnMut(&Desc, &dyn Metric)) {
        let [requests, duration, active, request_size, response_size] = &self.descs;
        visit(requests, &self.requests);
        visit(duration, &self.duration);
        visit(active, &self.active);
        visit(request_size, &self.request_size);
        visit(response_size, &self.response_size);
    }
}

/// A [`tower::Layer`] recording the HTTP server families
/// (`http_server_requests_total{method, status, route}`,
/// `http_server_request_duration_seconds`, `http_server_active_requests`
/// and the request and response body sizes) for every request of the
/// service it wraps. `R` is the
/// route label: [`Route`] (64 routes) by default, or any
/// [`dynamic_label!`](tally_core::dynamic_label!) type for another
/// capacity. Cloning it is cheap (the families are shared).
///
/// Apply it with [`axum::Router::layer`], *last*: axum gives a layer the
/// matched route, and applies it to the routes and fallback present when
/// `layer` is called; routes merged afterwards (and a fallback a later
/// `merge` brings) would not be measured.
///
/// ```
/// use std::sync::Arc;
/// use axum::{routing::get, Router};
/// use tally_core::Registry;
/// use tally_export::{axum_router, Handler, HttpMetricsLayer};
///
/// let registry = Arc::new(Registry::new());
/// let http = HttpMetricsLayer::new(&registry).unwrap();
/// let app: Router = Router::new()
///     .route("/users/{id}", get(|| async { "user" }))
///     .merge(axum_router(Arc::new(Handler::new(registry).unwrap())))
///     .layer(http);
/// ```
pub struct HttpMetricsLayer<R: DynamicLabel = Route> {
    metrics: Arc<HttpMetrics<R>>,
    measure_endpoints: bool,
}

impl<R: DynamicLabel> Clone for HttpMetricsLayer<R> {
    fn clone(&self) -> Self {
        HttpMetricsLayer {
            metrics: self.metrics.clone(),
            measure_endpoints: self.measure_endpoints,
        }
    }
}

impl<R: DynamicLabel> std::fmt::Debug for HttpMetricsLayer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpMetricsLayer")
            .field("route_capacity", &R::CAPACITY)
            .finish_non_exhaustive()
    }
}

impl HttpMetricsLayer<Route> {
    /// A layer with the default [`Route`] label, its families registered
    /// into `registry` (under the registry's prefix, if any).
    pub fn new(registry: &Registry) -> Result<Self, HttpMetricsError> {
        Self::with_route(registry, "")
    }

    /// The same, with `prefix_` before every family name
    /// (`api_http_server_requests_total`).
    pub fn prefixed(registry: &Registry, prefix: &str) -> Result<Self, HttpMetricsError> {
        Self::with_route(registry, prefix)
    }
}

impl<R: DynamicLabel> HttpMetricsLayer<R> {
    /// A layer whose route label is `R` (its capacity is `R::CAPACITY`),
    /// with `prefix_` (if not empty) before every family name. Declares
    /// [`UNMATCHED_ROUTE`] in `R` (an `Err` if it has no room) and
    /// registers the families (an `Err` if a name is taken; nothing is
    /// registered then).
    pub fn with_route(registry: &Registry, prefix: &str) -> Result<Self, HttpMetricsError> {
        R::declare([UNMATCHED_ROUTE])?;
        let unmatched = R::lookup(UNMATCHED_ROUTE).unwrap_or_else(R::overflow);
        let desc = |d: &Desc| {
            if prefix.is_empty() {
                d.clone()
            } else {
                d.prefixed(prefix)
            }
        };
        let histogram = Histogram::with_config;
        let metrics = Arc::new(HttpMetrics {
            descs: [
                desc(&REQUESTS),
                desc(&DURATION),
                desc(&ACTIVE),
                desc(&REQUEST_SIZE),
                desc(&RESPONSE_SIZE),
            ],
            requests: Sparse::new(Counter::new()),
            duration: histogram(HistogramConfig::seconds())?,
            active: Active {
                gauge: Gauge::new(),
                seen: Default::default(),
            },
            request_size: histogram(SIZE_CONFIG)?,
            response_size: histogram(SIZE_CONFIG)?,
            unmatched,
        });
        registry.register_collector(metrics.clone())?;
        Ok(HttpMetricsLayer {
            metrics,
            measure_endpoints: false,
        })
    }

    /// Whether requests to the metrics endpoints (`/metrics`,
    /// `/-/metrics`, `/-/metrics.json`, `/debug/vars`) are measured like
    /// any other route; off by default (scrapes are not traffic).
    pub fn measure_metrics_endpoints(mut self, on: bool) -> Self {
        self.measure_endpoints = on;
        self
    }
}

impl<S, R: DynamicLabel> Layer<S> for HttpMetricsLayer<R> {
    type Service = HttpMetricsService<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpMetricsService {
            inner,
            metrics: self.metrics.clone(),
            measure_endpoints: self.measure_endpoints,
        }
    }
}

/// The service [`HttpMetricsLayer`] wraps around another.
pub struct HttpMetricsService<S, R: DynamicLabel = Route> {
    inner: S,
    metrics: Arc<HttpMetrics<R>>,
    measure_endpoints: bool,
}

impl<S: Clone, R: DynamicLabel> Clone for HttpMetricsService<S, R> {
    fn clone(&self) -> Self {
        HttpMetricsService {
            inner: self.inner.clone(),
            metrics: self.metrics.clone(),
            measure_endpoints: self.measure_endpoints,
        }
    }
}

impl<S: std::fmt::Debug, R: DynamicLabel> std::fmt::Debug for HttpMetricsService<S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpMetricsService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, R, ReqBody, ResBody> Service<Request<ReqBody>> for HttpMetricsService<S, R>
where
    S: Service<Request<ReadBody<ReqBody, R>>, Response = Response<ResBody>>,
    R: DynamicLabel,
    ReqBody: Body,
    ResBody: Body,
{
    type Response = Response<CountedBody<ResBody, R>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, R>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let start = Instant::now();
        if !self.measure_endpoints && METRICS_ENDPOINTS.contains(&request.uri().path()) {
            let request = request.map(|body| ReadBody {
                inner: body,
                read: None,
            });
            return ResponseFuture {
                inner: self.inner.call(request),
                done: None,
            };
        }
        let method = HttpMethod::of(request.method());
        let route = match request.extensions().get::<MatchedPath>() {
            Some(path) => R::admit(path.as_str()),
            None => self.metrics.unmatched,
        };
        let request = request.map(|body| ReadBody {
            inner: body,
            read: Some(Read {
                metrics: self.metrics.clone(),
                labels: (method, route),
                bytes: 0,
            }),
        });
        self.metrics.active.inc(method);
        let done = Done {
            metrics: self.metrics.clone(),
            method,
            route,
            start,
            sent: 0,
        };
        ResponseFuture {
            inner: self.inner.call(request),
            done: Some(done),
        }
    }
}

/// What to record once a response is over.
struct Done<R: DynamicLabel> {
    metrics: Arc<HttpMetrics<R>>,
    method: HttpMethod,
    route: R,
    start: Instant,
    sent: u64,
}

impl<R: DynamicLabel> Done<R> {
    /// The request ended without a response.
    fn abandon(self) {
        self.metrics.active.dec(self.method);
    }

    /// The response is sent (or its body dropped).
    fn record(self, status: StatusClass) {
        let m = &self.metrics;
        let labels = (self.method, self.route);
        m.requests.with((self.method, status, self.route)).inc();
        m.duration
            .with(labels)
            .record_duration(self.start.elapsed().max(Duration::from_nanos(1)));
        m.response_size.with(labels).record(self.sent);
        m.active.dec(self.method);
    }
}

/// The bytes of a request body read so far, and where to record them.
struct Read<R: DynamicLabel> {
    metrics: Arc<HttpMetrics<R>>,
    labels: (HttpMethod, R),
    bytes: u64,
}

impl<R: DynamicLabel> Read<R> {
    fn record(self) {
        self.metrics
            .request_size
            .with(self.labels)
            .record(self.bytes);
    }
}

pin_project! {
    /// A request body that counts the bytes the handler reads, and
    /// records them when it ends or is dropped.
    pub struct ReadBody<B, R: DynamicLabel> {
        #[pin]
        inner: B,
        read: Option<Read<R>>,
    }

    impl<B, R: DynamicLabel> PinnedDrop for ReadBody<B, R> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(read) = this.project().read.take() {
                read.record();
            }
        }
    }
}

impl<B: Body, R: DynamicLabel> Body for ReadBody<B, R> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = std::task::ready!(this.inner.poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                if let (Some(data), Some(read)) = (frame.data_ref(), this.read.as_mut()) {
                    read.bytes += data.remaining() as u64;
                }
            }
            None | Some(Err(_)) => {
                if let Some(read) = this.read.take() {
                    read.record();
                }
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

pin_project! {
    /// The future of [`HttpMetricsService`]: the inner response with its
    /// body counted.
    pub struct ResponseFuture<F, R: DynamicLabel> {
        #[pin]
        inner: F,
        done: Option<Done<R>>,
    }

    impl<F, R: DynamicLabel> PinnedDrop for ResponseFuture<F, R> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped before a response (the client went away, the
            // connection was closed): no status to count, but the request
            // is no longer active.
            if let Some(done) = this.project().done.take() {
                done.abandon();
            }
        }
    }
}

impl<F, R, B, E> Future for ResponseFuture<F, R>
where
    F: Future<Output = Result<Response<B>, E>>,
    R: DynamicLabel,
{
    type Output = Result<Response<CountedBody<B, R>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let inner = this.inner;
        // A panicking handler: counted and timed as a 5xx, answered with a
        // 500 (the inner future is not polled again: this one is done).
        let result = match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(result)) => result,
            Err(_panic) => {
                let mut response = Response::new(CountedBody {
                    inner: None,
                    done: this.done.take().map(|d| (d, StatusClass::ServerError)),
                });
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                return Poll::Ready(Ok(response));
            }
        };
        let done = this.done.take();
        Poll::Ready(match result {
            Ok(response) => {
                let status = StatusClass::of(response.status().as_u16());
                Ok(response.map(|body| CountedBody {
                    inner: Some(body),
                    done: done.map(|done| (done, status)),
                }))
            }
            Err(error) => {
                if let Some(done) = done {
                    done.record(StatusClass::ServerError);
                }
                Err(error)
            }
        })
    }
}

pin_project! {
    /// A response body that counts its bytes and records the request when
    /// it ends or is dropped (empty: the 500 of a panicking handler).
    pub struct CountedBody<B, R: DynamicLabel> {
        #[pin]
        inner: Option<B>,
        done: Option<(Done<R>, StatusClass)>,
    }

    impl<B, R: DynamicLabel> PinnedDrop for CountedBody<B, R> {
        fn drop(this: Pin<&mut Self>) {
            if let Some((done, status)) = this.project().done.take() {
                done.record(status);
            }
        }
    }
}

impl<B: Body, R: DynamicLabel> Body for CountedBody<B, R> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = match this.inner.as_pin_mut() {
            Some(inner) => std::task::ready!(inner.poll_frame(cx)),
            None => None,
        };
        match &frame {
            Some(Ok(frame)) => {
                if let (Some(data), Some((done, _))) = (frame.data_ref(), this.done.as_mut()) {
                    done.sent += data.remaining() as u64;
                }
            }
            // The end of the body, or an error ending it: record now.
            None | Some(Err(_)) => {
                if let Some((done, status)) = this.done.take() {
                    done.record(status);
                }
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or(SizeHint::with_exact(0), Body::size_hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_unchanged() {
        crate::label_check::assert_label::<HttpMethod>(
            "method",
            &[
                "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "_OTHER",
            ],
        );
        crate::label_check::assert_label::<StatusClass>(
            "status",
            &["1xx", "2xx", "3xx", "4xx", "5xx"],
        );
    }
}
