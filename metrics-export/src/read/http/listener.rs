//! The accept loop both bundled transports share (the standalone server
//! and [`serve_axum`](crate::serve_axum)): connection admission (see
//! `admission.rs`), the overflow path, HTTP/1.1 with a header-read
//! timeout and a bounded head, a write timeout, and a bounded graceful
//! shutdown.

use std::convert::Infallible;
use std::error::Error as StdError;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::http::header::CONNECTION;
use hyper::http::{HeaderValue, Request, Response};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout};

use super::admission::{Admission, Admitted, BusyGuard, ConnGuard};
use super::timed_io::TimedIo;

/// Largest request head accepted, in bytes (bigger ones are refused).
/// It also bounds what hyper queues for writing on one connection.
pub(crate) const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Connections admitted past the connection cap when every connection
/// has a request in progress; each serves one request and closes.
pub const OVERFLOW_CONNECTIONS: usize = 16;

/// How long an overflow connection waits for its request head (at most).
const OVERFLOW_READ_TIMEOUT: Duration = Duration::from_secs(2);

/// The answer written, without reading the request, to a connection past
/// both the cap and the overflow budget.
const CANNED_503: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 1\r\nx-content-type-options: nosniff\r\nconnection: close\r\ncontent-length: 16\r\n\r\nserver is busy\r\n";

/// Limits of one accept loop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) read_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) max_connections: usize,
    /// How long shutdown waits for requests in progress.
    pub(crate) drain_timeout: Duration,
}

/// What a transport serves: every request on an admitted connection,
/// and the single request of an overflow connection.
pub(crate) trait Responder: Clone + Send + Sync + 'static {
    /// The response body.
    type Body: Body<Data = Bytes, Error: Into<Box<dyn StdError + Send + Sync>>>
        + Send
        + Unpin
        + 'static;

    /// Answers a request on an admitted connection.
    fn respond(
        self,
        request: Request<Incoming>,
    ) -> impl Future<Output = Response<Self::Body>> + Send + 'static;

    /// Answers the one request of a connection admitted past the cap
    /// (health must be answered; the connection closes after it).
    fn overflow(
        self,
        request: Request<Incoming>,
    ) -> impl Future<Output = Response<Self::Body>> + Send + 'static;
}

/// Accepts and serves until `stop` resolves, then stops accepting, lets
/// requests in progress finish for up to `drain_timeout` and drops the
/// rest.
pub(crate) async fn accept_loop<R: Responder>(
    listener: TcpListener,
    responder: R,
    limits: Limits,
    stop: impl Future<Output = ()>,
) {
    let admission = Admission::new(limits.max_connections);
    let overflow = Arc::new(Semaphore::new(OVERFLOW_CONNECTIONS));
    let (stopping, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut stop = pin!(stop);
    loop {
        let stream = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors or the like: back off briefly.
                Err(_) => {
                    sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        let _ = stream.set_nodelay(true);
        match admission.admit().await {
            Admitted::Yes(place) => {
                let task = connection(stream, responder.clone(), limits, place, stopped.clone());
                connections.spawn(task);
            }
            Admitted::Full => match overflow.clone().try_acquire_owned() {
                Ok(permit) => {
                    let task = overflow_connection(stream, responder.clone(), limits, permit);
                    connections.spawn(task);
                }
                // Past the overflow budget too: a canned 503, best effort.
                Err(_) => drop(stream.try_write(CANNED_503)),
            },
        }
    }
    drop(listener);
    let _ = stopping.send(true);
    let drain = async { while connections.join_next().await.is_some() {} };
    let _ = timeout(limits.drain_timeout, drain).await;
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

/// The HTTP/1.1 settings every connection shares.
fn http1_builder(read_timeout: Duration) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    builder
}

async fn connection<R: Responder>(
    stream: TcpStream,
    responder: R,
    limits: Limits,
    place: ConnGuard,
    mut stopped: watch::Receiver<bool>,
) {
    let place = Arc::new(place);
    let io = TokioIo::new(TimedIo::new(stream, limits.write_timeout));
    let requests = place.clone();
    let service = service_fn(move |request| {
        let busy = requests.busy();
        let response = responder.clone().respond(request);
        async move {
            let response = response.await;
            Ok::<_, Infallible>(response.map(|body| Guarded { body, _busy: busy }))
        }
    });
    let builder = http1_builder(limits.read_timeout);
    let mut conn = pin!(builder.serve_connection(io, service));
    tokio::select! {
        _ = conn.as_mut() => {}
        // Idle the longest at the cap: closed to admit a newcomer.
        () = place.evicted() => {}
        () = async { drop(stopped.wait_for(|stop| *stop).await) } => {
            // No complete request (idle, or a head still arriving): close
            // now. Otherwise finish the response, then close; bounded by
            // the accept loop's drain timeout (then aborted).
            if place.is_busy() {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }
    }
}

/// One request on a connection admitted past the cap, then close.
async fn overflow_connection<R: Responder>(
    stream: TcpStream,
    responder: R,
    limits: Limits,
    permit: OwnedSemaphorePermit,
) {
    let io = TokioIo::new(TimedIo::new(stream, limits.write_timeout));
    let service = service_fn(move |request| {
        let response = responder.clone().overflow(request);
        async move {
            let mut response = response.await;
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            Ok::<_, Infallible>(response)
        }
    });
    let mut builder = http1_builder(limits.read_timeout.min(OVERFLOW_READ_TIMEOUT));
    builder.keep_alive(false);
    let _ = timeout(
        OVERFLOW_READ_TIMEOUT + limits.write_timeout,
        builder.serve_connection(io, service),
    )
    .await;
    drop(permit);
}

/// A response body that keeps its connection marked busy (not
/// evictable) until the transport drops it.
pub(crate) struct Guarded<B> {
    body: B,
    _busy: BusyGuard,
}

impl<B: Body + Unpin> Body for Guarded<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
