//! Connection admission: which connections a server keeps when clients
//! open more than it allows.
//!
//! A connection is *idle* while it has no complete request (just opened,
//! sending its head slowly, or between keep-alive requests) and *busy*
//! from the moment its request head is complete until its response has
//! been written (or the connection dropped). Idle connections cost the
//! server nothing but a socket and a small buffer, and a client that
//! opens many of them (idle floods, slowloris) must not lock out the
//! scraper that sends a complete request at once. So:
//!
//! - at most `max` connections are open at once (file descriptors and
//!   per-connection memory stay bounded);
//! - at the cap, the connection idle the longest is evicted (closed) to
//!   admit a new one: a newcomer is never the one evicted, and a
//!   request whose head is complete is never interrupted;
//! - when every connection is busy, the newcomer is handed to the
//!   overflow path (see `server.rs`): a small separate budget of
//!   connections that answer `/-/healthy` and 503 everything else, so a
//!   liveness probe keeps passing and a scraper gets a 503, not a
//!   silent close.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

/// How long admission waits for an evicted connection to close before
/// evicting another.
const EVICTION_WAIT: Duration = Duration::from_millis(50);

/// Waits for evictions before a newcomer counts as overflow.
const MAX_EVICTION_ROUNDS: usize = 8;

/// The open connections of one server, and who to evict at the cap.
#[derive(Debug)]
pub(crate) struct Admission {
    max: usize,
    state: Mutex<State>,
    freed: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Connections open (admitted and not yet dropped).
    open: usize,
    /// Evicted connections whose tasks have not closed them yet.
    evicting: usize,
    /// The next idle-order key: smaller keys have been idle longer.
    next_key: u64,
    /// Idle connections by the time they became idle, oldest first.
    idle: BTreeMap<u64, Arc<Conn>>,
}

/// One admitted connection, as admission sees it.
#[derive(Debug)]
struct Conn {
    /// Its key in `State::idle` while idle (0 when busy or evicted);
    /// changed under the state lock only.
    key: AtomicU64,
    /// Requests being handled (a response not yet written).
    busy: AtomicUsize,
    /// Told to close by admission.
    evicted: AtomicBool,
    /// Evicted or closed: never listed as idle again.
    gone: AtomicBool,
    evict: Notify,
}

/// The outcome of [`Admission::admit`].
pub(crate) enum Admitted {
    /// Serve the connection; it holds its place until dropped.
    Yes(ConnGuard),
    /// Every connection is busy: the newcomer goes to the overflow path.
    Full,
}

impl Admission {
    /// Admission for at most `max` open connections (at least 1).
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Admission {
            max: max.max(1),
            state: Mutex::new(State {
                next_key: 1,
                ..State::default()
            }),
            freed: Notify::new(),
        })
    }

    /// Admits a new connection, evicting the connection idle the longest
    /// if the cap is reached (and waiting briefly for it to close).
    pub(crate) async fn admit(self: &Arc<Self>) -> Admitted {
        let mut timed_out = false;
        for _ in 0..MAX_EVICTION_ROUNDS {
            {
                let mut state = self.lock();
                if state.open < self.max {
                    state.open += 1;
                    let key = state.next_key;
                    state.next_key += 1;
                    let conn = Arc::new(Conn {
                        key: AtomicU64::new(key),
                        busy: AtomicUsize::new(0),
                        evicted: AtomicBool::new(false),
                        gone: AtomicBool::new(false),
                        evict: Notify::new(),
                    });
                    state.idle.insert(key, conn.clone());
                    return Admitted::Yes(ConnGuard {
                        admission: self.clone(),
                        conn,
                    });
                }
                // One eviction at a time makes room for one newcomer;
                // another only if the last one is slow to close.
                if state.evicting == 0 || timed_out {
                    if let Some((_, oldest)) = state.idle.pop_first() {
                        oldest.key.store(0, Ordering::Relaxed);
                        oldest.evicted.store(true, Ordering::Release);
                        oldest.gone.store(true, Ordering::Release);
                        state.evicting += 1;
                        oldest.evict.notify_one();
                    } else if state.evicting == 0 {
                        return Admitted::Full;
                    }
                }
            }
            // Let the evicted connection's task run and close its socket.
            timed_out = tokio::time::timeout(EVICTION_WAIT, self.freed.notified())
                .await
                .is_err();
        }
        Admitted::Full
    }

    /// Connections open now.
    #[cfg(test)]
    pub(crate) fn open(&self) -> usize {
        self.lock().open
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An admitted connection's place; dropping it frees the place.
pub(crate) struct ConnGuard {
    admission: Arc<Admission>,
    conn: Arc<Conn>,
}

impl ConnGuard {
    /// Resolves when admission evicts this connection (it was idle the
    /// longest when the cap was reached): close it.
    pub(crate) async fn evicted(&self) {
        if self.conn.evicted.load(Ordering::Acquire) {
            return;
        }
        self.conn.evict.notified().await;
    }

    /// Whether a request is in progress (its response not yet written).
    pub(crate) fn is_busy(&self) -> bool {
        self.conn.busy.load(Ordering::Relaxed) > 0
    }

    /// Marks the connection busy (a complete request head arrived) until
    /// the returned guard is dropped, which should happen when its
    /// response has been written.
    pub(crate) fn busy(&self) -> BusyGuard {
        let mut state = self.admission.lock();
        let key = self.conn.key.swap(0, Ordering::Relaxed);
        if key != 0 {
            state.idle.remove(&key);
        }
        self.conn.busy.fetch_add(1, Ordering::Relaxed);
        BusyGuard {
            admission: self.admission.clone(),
            conn: self.conn.clone(),
        }
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        let mut state = self.admission.lock();
        let key = self.conn.key.swap(0, Ordering::Relaxed);
        if key != 0 {
            state.idle.remove(&key);
        }
        // Closed: a request guard dropped later must not list it as idle.
        self.conn.gone.store(true, Ordering::Release);
        if self.conn.evicted.load(Ordering::Acquire) {
            state.evicting -= 1;
        }
        state.open -= 1;
        drop(state);
        self.admission.freed.notify_one();
    }
}

/// A connection's request in progress; dropping it makes the connection
/// idle again (evictable) unless another request is in progress.
pub(crate) struct BusyGuard {
    admission: Arc<Admission>,
    conn: Arc<Conn>,
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        let mut state = self.admission.lock();
        if self.conn.busy.fetch_sub(1, Ordering::Relaxed) == 1
            && !self.conn.gone.load(Ordering::Acquire)
        {
            let key = state.next_key;
            state.next_key += 1;
            self.conn.key.store(key, Ordering::Relaxed);
            state.idle.insert(key, self.conn.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn evicts_the_longest_idle_and_never_a_busy_connection() {
        runtime().block_on(async {
            let admission = Admission::new(2);
            let Admitted::Yes(first) = admission.admit().await else {
                panic!("room for the first")
            };
            let Admitted::Yes(second) = admission.admit().await else {
                panic!("room for the second")
            };
            let busy = second.busy();
            // At the cap: `first` (idle) is evicted; the waiting admit
            // completes once its guard is dropped.
            let third = tokio::spawn({
                let admission = admission.clone();
                async move { matches!(admission.admit().await, Admitted::Yes(_)) }
            });
            tokio::time::timeout(Duration::from_secs(1), first.evicted())
                .await
                .expect("the idle connection is evicted");
            drop(first);
            assert!(third.await.unwrap());
            assert_eq!(admission.open(), 1);
            // Only busy connections left: a newcomer overflows.
            let Admitted::Yes(fourth) = admission.admit().await else {
                panic!("room after the third left")
            };
            let _busy_fourth = fourth.busy();
            assert!(matches!(admission.admit().await, Admitted::Full));
            // `second` finishes its response: idle again, evictable.
            drop(busy);
            let fifth = tokio::spawn({
                let admission = admission.clone();
                async move { matches!(admission.admit().await, Admitted::Yes(_)) }
            });
            tokio::time::timeout(Duration::from_secs(1), second.evicted())
                .await
                .expect("the idle-again connection is evicted");
            drop(second);
            assert!(fifth.await.unwrap());
        });
    }
}
