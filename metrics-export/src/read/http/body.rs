//! The response body the bundled transports send: one `Bytes` that may
//! be shared by many responses, plus the guards that must live as long
//! as the body is being sent (its share of the response-memory budget,
//! the connection's "busy" mark).
//!
//! A large body is handed to the transport in copied chunks of
//! [`CHUNK`] bytes: hyper queues a chunk or two per connection and asks
//! for the next once they are written, so the shared `Bytes` (and its
//! guards) live exactly as long as some response still has to send from
//! it, and a client that stops reading pins one chunk of its own, not a
//! slice that keeps the whole shared body alive.

use std::any::Any;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

/// A response body: a single data frame (or none), and the guards that
/// are released when the transport drops the body (after the last byte
/// was written, or when the connection is closed).
pub(crate) struct ServedBody {
    data: Option<Bytes>,
    /// Bytes of `data` already handed out.
    sent: usize,
    /// `Some(len)` when the length is known and sent as Content-Length;
    /// `None` for answers to HEAD, whose length is not computed.
    exact: Option<u64>,
    guards: Vec<Box<dyn Any + Send + Sync>>,
}

impl ServedBody {
    /// A complete body of known length.
    pub(crate) fn full(data: Bytes) -> Self {
        ServedBody {
            exact: Some(data.len() as u64),
            data: (!data.is_empty()).then_some(data),
            sent: 0,
            guards: Vec::new(),
        }
    }

    /// The empty body of an answer to HEAD: its size is reported as
    /// unknown, so no framework fills in a `content-length: 0` that would
    /// contradict the GET it describes.
    pub(crate) fn head() -> Self {
        ServedBody {
            data: None,
            sent: 0,
            exact: None,
            guards: Vec::new(),
        }
    }

    /// Keeps `guard` alive until the body is dropped.
    pub(crate) fn hold(mut self, guard: impl Any + Send + Sync) -> Self {
        self.guards.push(Box::new(guard));
        self
    }

    /// The bytes, for callers that want the whole body at once.
    pub(crate) fn into_bytes(self) -> Bytes {
        self.data.unwrap_or_default()
    }
}

/// The size of the chunks a large body is sent in.
pub(crate) const CHUNK: usize = 16 * 1024;

impl Body for ServedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        let Some(data) = &this.data else {
            return Poll::Ready(None);
        };
        if this.sent == 0 && data.len() <= CHUNK {
            // Small: sent as is, shared.
            return Poll::Ready(this.data.take().map(|data| Ok(Frame::data(data))));
        }
        let end = data.len().min(this.sent + CHUNK);
        let chunk = Bytes::copy_from_slice(&data[this.sent..end]);
        this.sent = end;
        if end == data.len() {
            this.data = None;
        }
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match self.exact {
            Some(len) => SizeHint::with_exact(len),
            None => SizeHint::default(),
        }
    }
}
