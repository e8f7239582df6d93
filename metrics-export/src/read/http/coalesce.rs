//! Scrape coalescing (single flight per format and encoding) and the
//! response-memory budget.
//!
//! A scrape that arrives while another scrape of the same variant
//! (format + content coding) is encoding does not encode again: it waits
//! for that encoding and is answered with the same `Bytes`, which every
//! response shares. Only the request that starts an encoding (the
//! leader) takes a scrape slot, so concurrent scrapers are served
//! instead of refused. The shared body reflects a snapshot taken at most
//! one encoding duration before the joining request arrived.
//!
//! The budget bounds the bytes held by finished bodies that are still
//! being sent (a client that stops reading holds its body until the
//! write timeout): a new encoding starts only while the bytes held are
//! zero or below the limit, so they never exceed
//! `limit + (encodings in flight) x (largest body)`, and encodings in
//! flight are at most `min(max_concurrent_scrapes, variants)`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use bytes::Bytes;
use tokio::sync::Notify;

use super::gzip::Coding;
use crate::read::encode::Format;

/// What a scrape produces: format (and the negotiated Content-Type),
/// whether it is the live page's JSON, the body's content coding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Variant {
    pub(crate) format: Format,
    pub(crate) content_type: &'static str,
    pub(crate) page_json: bool,
    pub(crate) coding: Coding,
}

/// How one encoding ended, shared by every request that waited for it.
#[derive(Clone)]
pub(crate) enum Outcome {
    /// The encoded (and possibly compressed) body.
    Body(Pinned),
    /// Snapshotting or encoding panicked.
    Failed,
}

/// An encoded body and its charge against the budget, released when the
/// last response holding it is dropped.
#[derive(Clone)]
pub(crate) struct Pinned {
    pub(crate) bytes: Bytes,
    charge: Arc<Charge>,
}

impl Pinned {
    /// The guard to keep alive while the body is sent.
    pub(crate) fn charge(&self) -> Arc<impl Send + Sync + 'static> {
        self.charge.clone()
    }
}

struct Charge {
    budget: Arc<Budget>,
    bytes: usize,
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.budget.held.fetch_sub(self.bytes, Ordering::AcqRel);
        self.budget.freed.notify_waiters();
    }
}

/// The bytes held by finished response bodies, against a limit.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: usize,
    held: AtomicUsize,
    freed: Notify,
}

impl Budget {
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(Budget {
            limit,
            held: AtomicUsize::new(0),
            freed: Notify::new(),
        })
    }

    /// Waits until the budget admits a new encoding, or `within` passed;
    /// whether it admits.
    pub(crate) async fn wait_admits(&self, within: std::time::Duration) -> bool {
        let wait = async {
            loop {
                let freed = self.freed.notified();
                tokio::pin!(freed);
                freed.as_mut().enable();
                if self.admits() {
                    return;
                }
                freed.await;
            }
        };
        tokio::time::timeout(within, wait).await.is_ok()
    }

    /// Whether a new encoding may start: nothing held, or below the limit.
    pub(crate) fn admits(&self) -> bool {
        let held = self.held.load(Ordering::Acquire);
        held == 0 || held < self.limit
    }

    /// Charges `bytes` (their capacity) until the returned body is gone.
    pub(crate) fn pin(self: &Arc<Self>, bytes: Vec<u8>) -> Pinned {
        let mut bytes = bytes;
        bytes.shrink_to_fit();
        let len = bytes.len();
        self.held.fetch_add(len, Ordering::AcqRel);
        Pinned {
            bytes: Bytes::from(bytes),
            charge: Arc::new(Charge {
                budget: self.clone(),
                bytes: len,
            }),
        }
    }
}

/// One encoding in progress, waited on by blocking and async callers.
pub(crate) struct Flight {
    outcome: Mutex<Option<Outcome>>,
    done: Condvar,
    notify: Notify,
}

impl Flight {
    /// Blocks the thread until the encoding ends.
    pub(crate) fn wait(&self) -> Outcome {
        let mut outcome = self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(outcome) = outcome.as_ref() {
                return outcome.clone();
            }
            outcome = self
                .done
                .wait(outcome)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Waits (asynchronously) until the encoding ends.
    pub(crate) async fn wait_async(&self) -> Outcome {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(outcome) = self
                .outcome
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
            {
                return outcome.clone();
            }
            notified.await;
        }
    }
}

/// The encodings in progress, at most one per variant, and the size of
/// each variant's last encoding.
#[derive(Default)]
pub(crate) struct Flights {
    in_flight: Mutex<Vec<(Variant, Arc<Flight>)>>,
    sizes: Mutex<Vec<(Format, usize)>>,
}

/// The role of a request in a flight.
pub(crate) enum Role {
    /// This request encodes; it must call [`Leader::finish`].
    Lead(Leader),
    /// Another request is encoding this variant: wait for it.
    Join(Arc<Flight>),
}

impl Flights {
    /// The flight of `variant` in progress, if any.
    pub(crate) fn joinable(&self, variant: Variant) -> Option<Arc<Flight>> {
        self.lock()
            .iter()
            .find(|(v, _)| *v == variant)
            .map(|(_, f)| f.clone())
    }

    /// Joins the flight of `variant`, or starts one.
    pub(crate) fn begin(self: &Arc<Self>, variant: Variant) -> Role {
        let mut in_flight = self.lock();
        if let Some((_, flight)) = in_flight.iter().find(|(v, _)| *v == variant) {
            return Role::Join(flight.clone());
        }
        let flight = Arc::new(Flight {
            outcome: Mutex::new(None),
            done: Condvar::new(),
            notify: Notify::new(),
        });
        in_flight.push((variant, flight.clone()));
        Role::Lead(Leader {
            flights: self.clone(),
            variant,
            flight,
            finished: false,
        })
    }

    /// The capacity to give a new encoding buffer: a little more than the
    /// last encoding of `format`, so a large exposition is one allocation
    /// (which the allocator returns to the system when freed) rather than
    /// a chain of doublings that leaves freed memory in its heaps.
    pub(crate) fn capacity_hint(&self, format: Format) -> usize {
        let sizes = self.sizes.lock().unwrap_or_else(PoisonError::into_inner);
        let last = sizes
            .iter()
            .find(|(f, _)| *f == format)
            .map_or(0, |(_, n)| *n);
        (last + last / 8).max(4096)
    }

    /// Remembers the size of an encoding of `format`.
    pub(crate) fn record_size(&self, format: Format, len: usize) {
        let mut sizes = self.sizes.lock().unwrap_or_else(PoisonError::into_inner);
        match sizes.iter_mut().find(|(f, _)| *f == format) {
            Some((_, n)) => *n = len,
            None => sizes.push((format, len)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Variant, Arc<Flight>)>> {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The request that encodes for a flight. Dropped without
/// [`finish`](Self::finish), it ends the flight as failed, so no waiter
/// hangs.
pub(crate) struct Leader {
    flights: Arc<Flights>,
    variant: Variant,
    flight: Arc<Flight>,
    finished: bool,
}

impl Leader {
    /// The flight this leader encodes for.
    pub(crate) fn flight(&self) -> Arc<Flight> {
        self.flight.clone()
    }

    /// Publishes the outcome to every waiter and closes the flight.
    pub(crate) fn finish(mut self, outcome: Outcome) {
        self.end(outcome);
    }

    fn end(&mut self, outcome: Outcome) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        let flight = &self.flight;
        self.flights
            .lock()
            .retain(|(v, f)| !(*v == self.variant && Arc::ptr_eq(f, flight)));
        *flight
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(outcome);
        flight.done.notify_all();
        flight.notify.notify_waiters();
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        self.end(Outcome::Failed);
    }
}
