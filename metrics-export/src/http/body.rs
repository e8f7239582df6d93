//! The response body the bundled transports send: one `Bytes` chunk that
//! may be shared by many responses, plus the guards that must live as
//! long as the body is being sent (its share of the response-memory
//! budget, the connection's "busy" mark).

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
            guards: Vec::new(),
        }
    }

    /// The empty body of an answer to HEAD: its size is reported as
    /// unknown, so no framework fills in a `content-length: 0` that would
    /// contradict the GET it describes.
    pub(crate) fn head() -> Self {
        ServedBody {
            data: None,
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

impl Body for ServedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.data.take().map(|data| Ok(Frame::data(data))))
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
