//! One HTTP/1.1 exchange with a receiver: connect, send, read the answer,
//! all within one timeout. A connection per push (pushes are seconds
//! apart), driven in the same task as the request, so nothing outlives a
//! timeout: a receiver that accepts and never answers costs one socket
//! for at most the timeout.

use std::cell::Cell;
use std::pin::pin;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use super::error::PushError;
use super::target::{Endpoint, Request};
use super::tls::TlsConfig;

/// The most of an answer's body read (OTLP responses and error texts
/// are small); the rest of a longer body is left unread.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A receiver's answer. Once the status line has arrived the status
/// decides the outcome: a body cut short (too long, too slow, broken
/// off) is reported through `complete`, never as a failed exchange, so
/// a push the receiver accepted is never sent again.
pub(crate) struct Answer {
    pub(crate) status: u16,
    /// The `Location` header (redirects).
    pub(crate) location: Option<String>,
    /// The start of the body, up to [`MAX_ANSWER_BYTES`].
    pub(crate) body: Bytes,
    /// Whether `body` is the whole body.
    pub(crate) complete: bool,
}

/// Sends `request` with `body` (already in the content coding
/// `encoding`, if any) to `endpoint`, over TLS for an `https://` one;
/// connecting, the TLS handshake, sending and reading the answer all end
/// by `timeout` from now.
pub(crate) async fn exchange(
    endpoint: &Endpoint,
    request: &Request,
    body: Bytes,
    encoding: Option<&'static str>,
    tls: Option<&TlsConfig>,
    timeout: Duration,
) -> Result<Answer, PushError> {
    let deadline = Instant::now() + timeout;
    let timed_out = || PushError::Timeout(timeout);
    let stream = timeout_at(
        deadline,
        TcpStream::connect((endpoint.host.as_str(), endpoint.port)),
    )
    .await
    .map_err(|_| timed_out())?
    .map_err(|e| PushError::Connect {
        addr: endpoint.authority.clone(),
        reason: e.to_string(),
    })?;
    let _ = stream.set_nodelay(true);
    if endpoint.tls {
        let Some(tls) = tls else {
            return Err(PushError::Tls("no TLS configuration".into()));
        };
        let stream = timeout_at(deadline, tls.connect(&endpoint.host, stream))
            .await
            .map_err(|_| timed_out())??;
        return over(
            TokioIo::new(stream),
            endpoint,
            request,
            body,
            encoding,
            deadline,
            timeout,
        )
        .await;
    }
    let _ = tls;
    over(
        TokioIo::new(stream),
        endpoint,
        request,
        body,
        encoding,
        deadline,
        timeout,
    )
    .await
}

/// The HTTP/1.1 exchange over an open connection `io`.
async fn over<IO>(
    io: IO,
    endpoint: &Endpoint,
    request: &Request,
    body: Bytes,
    encoding: Option<&'static str>,
    deadline: Instant,
    timeout: Duration,
) -> Result<Answer, PushError>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let timed_out = || PushError::Timeout(timeout);
    let (mut sender, connection) = timeout_at(deadline, http1::handshake(io))
        .await
        .map_err(|_| timed_out())?
        .map_err(|e| PushError::Http(e.to_string()))?;
    let mut builder = hyper::Request::builder()
        .method(request.method.clone())
        .uri(request.path.as_str())
        .header(hyper::header::HOST, endpoint.authority.as_str())
        .header(
            hyper::header::USER_AGENT,
            concat!("tally/", env!("CARGO_PKG_VERSION")),
        );
    if let Some(content_type) = request.content_type {
        builder = builder.header(hyper::header::CONTENT_TYPE, content_type);
    }
    if let Some(encoding) = encoding {
        builder = builder.header(hyper::header::CONTENT_ENCODING, encoding);
    }
    for (name, value) in request.headers {
        builder = builder.header(*name, *value);
    }
    let http_request = builder
        .body(Full::new(body))
        .map_err(|e| PushError::Http(e.to_string()))?;
    // The status (and location) once the head has arrived: from then on
    // the exchange has an answer, whatever happens to the body.
    let head: Cell<Option<(u16, Option<String>)>> = Cell::new(None);
    let work = async {
        let response = timeout_at(deadline, sender.send_request(http_request))
            .await
            .map_err(|_| timed_out())?
            .map_err(|e| PushError::Http(e.to_string()))?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(hyper::header::LOCATION)
            .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned());
        head.set(Some((status, location.clone())));
        let (body, complete) = read_some(response.into_body(), deadline).await;
        Ok(Answer {
            status,
            location,
            body,
            complete,
        })
    };
    // Drive the connection and the exchange together; the connection is
    // dropped (closed) when the exchange ends, unread body and all.
    let mut connection = pin!(connection);
    let mut work = pin!(work);
    tokio::select! {
        answer = &mut work => answer,
        ended = &mut connection => match (ended, head.take()) {
            // The connection broke after the head: the status stands.
            (Err(_), Some((status, location))) => Ok(Answer {
                status,
                location,
                body: Bytes::new(),
                complete: false,
            }),
            (Err(e), None) => Err(PushError::Http(e.to_string())),
            // The connection ended cleanly before the exchange did: the
            // answer may still be complete (and `work` is bounded by the
            // deadline).
            (Ok(()), _) => work.await,
        },
    }
}

/// Reads up to [`MAX_ANSWER_BYTES`] of `body` by `deadline`; whether
/// that was all of it.
async fn read_some(mut body: Incoming, deadline: Instant) -> (Bytes, bool) {
    let mut read = BytesMut::new();
    loop {
        match timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    let room = MAX_ANSWER_BYTES - read.len();
                    read.extend_from_slice(&data[..data.len().min(room)]);
                    if data.len() > room {
                        return (read.freeze(), false);
                    }
                }
            }
            Ok(None) => return (read.freeze(), true),
            // Broken off, or too slow: what arrived is what there is.
            Ok(Some(Err(_))) | Err(_) => return (read.freeze(), false),
        }
    }
}
