//! [`WindowedCounter`]: counts per time slot, summed over the window.

use std::marker::PhantomData;
use std::sync::Mutex;

use super::clock::{Clock, CoarseClock};
use super::ring::Ring;
use super::Window;
use crate::desc::MetricKind;
use crate::label::{LabelDesc, LabelSet};
use crate::lines::{Access, Lines};
use crate::metric::{CollectError, Collected, Metric};
use crate::sharded::Sharded;
use crate::snapshot::{Series, Value};

/// One shard: the ring header and `slots x series` counts.
struct Shard {
    header: Lines,
    counts: Lines,
}

crate::sharded::sized_block!(Shard, |shape| Shard {
    header: shape.header.fresh(),
    counts: shape.counts.fresh(),
});

/// A family of counters over a sliding time window, one per label set of
/// `L`: how many events in the last `span` (e.g. 5 minutes).
///
/// Like [`Counter`](crate::Counter) each thread writes its own shard; a
/// write reads the clock, finds its epoch's slot (resetting a slot
/// left from an older epoch first) and adds. No increment is lost or put
/// in the wrong slot, and no rotation thread runs. Exposed as a gauge
/// (the window's total).
pub struct WindowedCounter<L: LabelSet = (), C: Clock = CoarseClock> {
    ring: Ring,
    window: Window,
    clock: C,
    series: usize,
    shards: Sharded<Shard>,
    /// Serializes writers of the shared shard (threads past the owned range).
    shared_lock: Mutex<()>,
    _labels: PhantomData<fn(L)>,
}

impl<L: LabelSet> WindowedCounter<L> {
    /// A windowed counter on the default clock.
    pub fn new(window: Window) -> Self {
        Self::with_clock(window, CoarseClock)
    }
}

impl<L: LabelSet, C: Clock> WindowedCounter<L, C> {
    /// A windowed counter reading `clock` (tests inject a
    /// [`ManualClock`](super::ManualClock)).
    pub fn with_clock(window: Window, clock: C) -> Self {
        crate::label::refuse_expiring!(L, "WindowedCounter");
        let ring = window.ring(L::CARDINALITY);
        let new_shard = Shard {
            header: ring.new_header(),
            counts: Lines::new(ring.slots * L::CARDINALITY),
        };
        WindowedCounter {
            ring,
            window,
            clock,
            series: L::CARDINALITY,
            shards: Sharded::new(Box::new(new_shard)),
            shared_lock: Mutex::new(()),
            _labels: PhantomData,
        }
    }

    /// The series for `labels`.
    #[inline(always)]
    pub fn with(&self, labels: L) -> WindowedCounterRef<'_, L, C> {
        let index = labels.index();
        assert!(index < L::CARDINALITY, "LabelSet::index out of range");
        WindowedCounterRef {
            counter: self,
            index,
        }
    }

    /// The window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Heap bytes held now: the shard table and every allocated shard.
    pub fn heap_bytes(&self) -> usize {
        let shards: usize = self
            .shards
            .all_blocks()
            .map(|s| s.header.heap_bytes() + s.counts.heap_bytes())
            .sum();
        shards + self.shards.table_bytes()
    }

    /// Every series' total over the window ending now, by series index.
    pub fn values(&self) -> Vec<u64> {
        let now = self.clock.now_nanos();
        let mut totals = vec![0u64; self.series];
        for shard in self.shards.blocks() {
            let read = |slot: usize| -> Vec<u64> {
                (0..self.series)
                    .map(|i| shard.counts.load(slot * self.series + i))
                    .collect()
            };
            self.ring.read(&shard.header, now, read, |counts| {
                for (total, c) in totals.iter_mut().zip(counts) {
                    *total = total.wrapping_add(c);
                }
            });
        }
        totals
    }

    #[inline(always)]
    fn add_at(&self, index: usize, n: u64) {
        let now = self.clock.now_nanos();
        match self.shards.block() {
            (shard, Access::Owned) => self.add_to(shard, now, index, n),
            (shard, Access::Shared) => {
                let _writer = self.shared_lock.lock().unwrap_or_else(|e| e.into_inner());
                self.add_to(shard, now, index, n)
            }
        }
    }

    /// Adds `n` in `now`'s slot of a shard the caller alone writes.
    #[inline(always)]
    fn add_to(&self, shard: &Shard, now: u64, index: usize, n: u64) {
        let base = match self.ring.cached(&shard.header, now) {
            Some(base) => base,
            None => self.ring.advance(&shard.header, now, |slot| {
                for i in 0..self.series {
                    shard.counts.store(slot * self.series + i, 0);
                }
            }),
        };
        shard.counts.add(base + index, n, Access::Owned);
    }
}

impl<C: Clock> WindowedCounter<(), C> {
    /// Adds one.
    pub fn inc(&self) {
        self.with(()).inc()
    }

    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.with(()).add(n)
    }

    /// The total over the window ending now.
    pub fn get(&self) -> u64 {
        self.values()[0]
    }
}

/// One series of a [`WindowedCounter`].
pub struct WindowedCounterRef<'a, L: LabelSet, C: Clock = CoarseClock> {
    counter: &'a WindowedCounter<L, C>,
    index: usize,
}

impl<L: LabelSet, C: Clock> Clone for WindowedCounterRef<'_, L, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L: LabelSet, C: Clock> Copy for WindowedCounterRef<'_, L, C> {}

impl<L: LabelSet, C: Clock> WindowedCounterRef<'_, L, C> {
    /// Adds one.
    #[inline(always)]
    pub fn inc(self) {
        self.add(1)
    }

    /// Adds `n` to the current time slot.
    #[inline(always)]
    pub fn add(self, n: u64) {
        self.counter.add_at(self.index, n)
    }

    /// The series' total over the window ending now.
    pub fn get(self) -> u64 {
        self.counter.values()[self.index]
    }
}

impl<L: LabelSet, C: Clock> Metric for WindowedCounter<L, C> {
    fn kind(&self) -> MetricKind {
        MetricKind::Gauge
    }

    fn labels(&self) -> &'static LabelDesc {
        L::DESC
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let series = self
            .values()
            .into_iter()
            .enumerate()
            .map(|(index, v)| Series::new(index, Value::Gauge(v.min(i64::MAX as u64) as i64)))
            .collect();
        Ok(Collected {
            series,
            clamped: 0,
            ..Default::default()
        })
    }
}
