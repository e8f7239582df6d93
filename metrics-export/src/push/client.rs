//! One HTTP/1.1 exchange with a receiver: connect, send, read the answer,
//! all within one timeout. A connection per push (pushes are seconds
//! apart), driven in the same task as the request, so nothing outlives a
//! timeout: a receiver that accepts and never answers costs one socket
//! for at most the timeout.

use std::pin::pin;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::error::PushError;
use super::target::{Endpoint, Request};

/// The most of an answer's body read (OTLP responses and error texts
/// are small).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A receiver's answer.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

/// Sends `request` with `body` (already compressed if `gzip`) to
/// `endpoint`, within `timeout`.
pub(crate) async fn exchange(
    endpoint: &Endpoint,
    request: &Request,
    body: Bytes,
    gzip: bool,
    timeout: Duration,
) -> Result<Answer, PushError> {
    tokio::time::timeout(timeout, exchange_inner(endpoint, request, body, gzip))
        .await
        .unwrap_or(Err(PushError::Timeout(timeout)))
}

async fn exchange_inner(
    endpoint: &Endpoint,
    request: &Request,
    body: Bytes,
    gzip: bool,
) -> Result<Answer, PushError> {
    let stream = TcpStream::connect((endpoint.host.as_str(), endpoint.port))
        .await
        .map_err(|e| PushError::Connect {
            addr: endpoint.authority.clone(),
            reason: e.to_string(),
        })?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
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
    if gzip {
        builder = builder.header(hyper::header::CONTENT_ENCODING, "gzip");
    }
    let http_request = builder
        .body(Full::new(body))
        .map_err(|e| PushError::Http(e.to_string()))?;
    let work = async {
        let response = sender
            .send_request(http_request)
            .await
            .map_err(|e| PushError::Http(e.to_string()))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| PushError::Http(format!("reading the answer: {e}")))?
            .to_bytes();
        Ok(Answer { status, body })
    };
    // Drive the connection and the exchange together; the connection is
    // dropped (closed) when the exchange ends.
    let mut connection = pin!(connection);
    let mut work = pin!(work);
    tokio::select! {
        answer = &mut work => answer,
        ended = &mut connection => match ended {
            Err(e) => Err(PushError::Http(e.to_string())),
            // The connection ended cleanly before the exchange did: the
            // answer may still be complete.
            Ok(()) => work.await,
        },
    }
}
