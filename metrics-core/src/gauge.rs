//! Values that go up and down: [`Gauge`] (`i64`), [`FloatGauge`] (`f64`),
//! and the running extremes [`MaxGauge`] / [`MinGauge`].
//!
//! A gauge is set as well as incremented, so it cannot be split into
//! per-thread shards; each series is one atomic on its own cache line.
//! A [`Gauge`] family with a label that expires keeps, per series, the
//! generation its value was written under next to the value (see
//! `expiring.rs`).

mod cell;
mod expiring;

use std::marker::PhantomData;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};

use crossbeam_utils::CachePadded;

use crate::desc::MetricKind;
use crate::float::AtomicF64;
use crate::label::{LabelDesc, LabelSet};
use crate::metric::{CollectError, Collected, Metric};
use crate::snapshot::{Series, Value};

use expiring::{ExpiringCells, Op};

fn padded_cells(n: usize, init: i64) -> Box<[CachePadded<AtomicI64>]> {
    (0..n)
        .map(|_| CachePadded::new(AtomicI64::new(init)))
        .collect()
}

/// Every cell as a series, except those still holding `unset`.
fn int_series(cells: &[CachePadded<AtomicI64>], unset: Option<i64>) -> Vec<Series> {
    cells
        .iter()
        .enumerate()
        .map(|(index, cell)| (index, cell.load(Relaxed)))
        .filter(|&(_, v)| Some(v) != unset)
        .map(|(index, v)| Series::new(index, Value::Gauge(v)))
        .collect()
}

/// Implements [`Metric`] for an integer gauge-kind family whose series
/// holding `$unset` are not exposed.
macro_rules! int_gauge_metric {
    ($ty:ident, $unset:expr) => {
        impl<L: LabelSet> Metric for $ty<L> {
            fn kind(&self) -> MetricKind {
                MetricKind::Gauge
            }

            fn labels(&self) -> &'static LabelDesc {
                L::DESC
            }

            fn collect(&self) -> Result<Collected, CollectError> {
                Ok(Collected {
                    series: int_series(&self.cells, $unset),
                    clamped: 0,
                    ..Default::default()
                })
            }
        }

        impl<L: LabelSet> Default for $ty<L> {
            fn default() -> Self {
                Self::new()
            }
        }
    };
}

/// A family of `i64` gauges (in-flight requests, queue depth, ...).
///
/// ```
/// use tally_core::Gauge;
/// let in_flight: Gauge = Gauge::new();
/// in_flight.inc();
/// in_flight.add(4);
/// in_flight.dec();
/// assert_eq!(in_flight.get(), 4);
/// ```
///
/// A family may have one label that expires
/// ([`dynamic_label!`](crate::dynamic_label!) with `idle_secs`): a value
/// written under an evicted label value is never read under the value
/// that later took its slot, which starts from 0, and a kept handle of an
/// evicted value writes into the overflow value (counted as `expired`).
/// Its series are then 128-bit cells updated by compare-and-swap; other
/// families keep one `i64` atomic per series.
pub struct Gauge<L: LabelSet = ()> {
    /// One atomic per series, for a family without an expiring label
    /// (empty otherwise).
    cells: Box<[CachePadded<AtomicI64>]>,
    /// The (generation, value) cells of a family with an expiring label.
    expiring: Option<Box<ExpiringCells>>,
    _labels: PhantomData<fn(L)>,
}

impl<L: LabelSet> Gauge<L> {
    /// A family with every series at zero.
    ///
    /// # Panics
    ///
    /// If a hand-written [`LabelSet`] has an expiring label in its
    /// descriptor but declares `EXPIRING = 0` (its handles would carry no
    /// generation).
    pub fn new() -> Self {
        crate::expiring::expiring_limits!(L, "Gauge");
        let expiring = ExpiringCells::of::<L>().map(Box::new);
        assert_eq!(
            expiring.is_some(),
            L::EXPIRING == 1,
            "LabelSet::EXPIRING disagrees with the label descriptor"
        );
        Gauge {
            cells: match expiring {
                Some(_) => Box::new([]),
                None => padded_cells(L::CARDINALITY, 0),
            },
            expiring,
            _labels: PhantomData,
        }
    }

    /// The series for `labels`.
    #[inline(always)]
    pub fn with(&self, labels: L) -> GaugeRef<'_> {
        // A constant: the test folds away.
        if L::EXPIRING == 0 {
            return GaugeRef(Cell::Plain(&self.cells[labels.index()]));
        }
        self.with_expiring(labels)
    }

    /// [`with`](Self::with) for a family with an expiring label.
    #[inline(always)]
    fn with_expiring(&self, labels: L) -> GaugeRef<'_> {
        let index = labels.index();
        let cells = self
            .expiring
            .as_deref()
            .expect("a family with an expiring label has generation cells");
        assert!(index < cells.len(), "LabelSet::index out of range");
        GaugeRef(Cell::Expiring {
            cells,
            index,
            generation: labels.generation(),
        })
    }

    /// The value of every series, by series index. For a family with a
    /// label that expires, a series holds only what was written under the
    /// value now holding its slot (0 if nothing was yet).
    pub fn values(&self) -> Vec<i64> {
        match &self.expiring {
            Some(cells) => (0..cells.len()).map(|i| cells.current(i)).collect(),
            None => self.cells.iter().map(|c| c.load(Relaxed)).collect(),
        }
    }
}

impl Gauge<()> {
    /// Sets the value.
    pub fn set(&self, v: i64) {
        self.with(()).set(v)
    }
    /// Adds one.
    pub fn inc(&self) {
        self.with(()).inc()
    }
    /// Subtracts one.
    pub fn dec(&self) {
        self.with(()).dec()
    }
    /// Adds `v`.
    pub fn add(&self, v: i64) {
        self.with(()).add(v)
    }
    /// Subtracts `v`.
    pub fn sub(&self, v: i64) {
        self.with(()).sub(v)
    }
    /// The current value.
    pub fn get(&self) -> i64 {
        self.with(()).get()
    }
}

impl<L: LabelSet> Metric for Gauge<L> {
    fn kind(&self) -> MetricKind {
        MetricKind::Gauge
    }

    fn labels(&self) -> &'static LabelDesc {
        L::DESC
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let series = match &self.expiring {
            Some(_) => self
                .values()
                .into_iter()
                .enumerate()
                .map(|(index, v)| Series::new(index, Value::Gauge(v)))
                .collect(),
            None => int_series(&self.cells, None),
        };
        Ok(Collected {
            series,
            clamped: 0,
            ..Default::default()
        })
    }
}

impl<L: LabelSet> Default for Gauge<L> {
    fn default() -> Self {
        Self::new()
    }
}

/// One series of a [`Gauge`].
#[derive(Clone, Copy)]
pub struct GaugeRef<'a>(Cell<'a>);

/// Where a [`GaugeRef`] writes.
#[derive(Clone, Copy)]
enum Cell<'a> {
    /// The series' atomic (a family without an expiring label).
    Plain(&'a AtomicI64),
    /// Series `index` of a family with an expiring label, written under
    /// `generation` (0 for its overflow value).
    Expiring {
        cells: &'a ExpiringCells,
        index: usize,
        generation: u32,
    },
}

impl GaugeRef<'_> {
    /// Sets the value.
    #[inline]
    pub fn set(self, v: i64) {
        match self.0 {
            Cell::Plain(cell) => cell.store(v, Relaxed),
            Cell::Expiring { .. } => self.write(Op::Set(v)),
        }
    }
    /// Adds one.
    #[inline]
    pub fn inc(self) {
        self.add(1)
    }
    /// Subtracts one.
    #[inline]
    pub fn dec(self) {
        self.sub(1)
    }
    /// Adds `v` (wrapping).
    #[inline]
    pub fn add(self, v: i64) {
        match self.0 {
            Cell::Plain(cell) => {
                cell.fetch_add(v, Relaxed);
            }
            Cell::Expiring { .. } => self.write(Op::Add(v)),
        }
    }
    /// Subtracts `v` (wrapping).
    #[inline]
    pub fn sub(self, v: i64) {
        match self.0 {
            Cell::Plain(cell) => {
                cell.fetch_sub(v, Relaxed);
            }
            Cell::Expiring { .. } => self.write(Op::Add(v.wrapping_neg())),
        }
    }
    /// The current value (for a value that expires, what was written
    /// under this handle's generation: 0 once another value took its
    /// slot and wrote).
    #[inline]
    pub fn get(self) -> i64 {
        match self.0 {
            Cell::Plain(cell) => cell.load(Relaxed),
            Cell::Expiring {
                cells,
                index,
                generation,
            } => cells.get(index, generation),
        }
    }

    /// A write into a family with an expiring label.
    #[inline(always)]
    fn write(self, op: Op) {
        if let Cell::Expiring {
            cells,
            index,
            generation,
        } = self.0
        {
            cells.write(index, generation, op)
        }
    }
}

/// A family of `f64` gauges (temperatures, ratios, ...).
pub struct FloatGauge<L: LabelSet = ()> {
    cells: Box<[AtomicF64]>,
    _labels: PhantomData<fn(L)>,
}

impl<L: LabelSet> FloatGauge<L> {
    /// A family with every series at zero.
    pub fn new() -> Self {
        crate::label::refuse_expiring!(L, "FloatGauge");
        FloatGauge {
            cells: (0..L::CARDINALITY).map(|_| AtomicF64::new(0.0)).collect(),
            _labels: PhantomData,
        }
    }

    /// The series for `labels`.
    #[inline(always)]
    pub fn with(&self, labels: L) -> FloatGaugeRef<'_> {
        FloatGaugeRef(&self.cells[labels.index()])
    }
}

impl FloatGauge<()> {
    /// Sets the value.
    pub fn set(&self, v: f64) {
        self.with(()).set(v)
    }
    /// Adds `v` (may be negative).
    pub fn add(&self, v: f64) {
        self.with(()).add(v)
    }
    /// Subtracts `v`.
    pub fn sub(&self, v: f64) {
        self.with(()).sub(v)
    }
    /// The current value.
    pub fn get(&self) -> f64 {
        self.with(()).get()
    }
}

impl<L: LabelSet> Default for FloatGauge<L> {
    fn default() -> Self {
        Self::new()
    }
}

impl<L: LabelSet> Metric for FloatGauge<L> {
    fn kind(&self) -> MetricKind {
        MetricKind::Gauge
    }

    fn labels(&self) -> &'static LabelDesc {
        L::DESC
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        Ok(Collected {
            series: crate::float::series(&self.cells, Value::GaugeF64),
            clamped: 0,
            ..Default::default()
        })
    }
}

/// One series of a [`FloatGauge`].
#[derive(Clone, Copy)]
pub struct FloatGaugeRef<'a>(&'a AtomicF64);

impl FloatGaugeRef<'_> {
    /// Sets the value.
    pub fn set(self, v: f64) {
        self.0.set(v)
    }
    /// Adds `v` (may be negative), by compare-and-swap.
    pub fn add(self, v: f64) {
        self.0.add(v)
    }
    /// Subtracts `v`.
    pub fn sub(self, v: f64) {
        self.0.add(-v)
    }
    /// The current value.
    pub fn get(self) -> f64 {
        self.0.get()
    }
}

/// Defines a running-extreme gauge family: `observe(v)` keeps the
/// max (or min) of every value observed since the last `reset`.
macro_rules! extreme_gauge {
    ($(#[$doc:meta])* $ty:ident, $reference:ident, $op:ident, $init:expr, $word:literal) => {
        $(#[$doc])*
        pub struct $ty<L: LabelSet = ()> {
            cells: Box<[CachePadded<AtomicI64>]>,
            _labels: PhantomData<fn(L)>,
        }

        impl<L: LabelSet> $ty<L> {
            /// A family whose series start unset: a series is exposed
            /// from its first `observe` (or again after a `reset`).
            pub fn new() -> Self {
                crate::label::refuse_expiring!(L, stringify!($ty));
                $ty {
                    cells: padded_cells(L::CARDINALITY, $init),
                    _labels: PhantomData,
                }
            }

            /// The series for `labels`.
            #[inline(always)]
            pub fn with(&self, labels: L) -> $reference<'_> {
                $reference(&self.cells[labels.index()])
            }
        }

        impl $ty<()> {
            #[doc = concat!("Keeps the ", $word, " of `v` and the current value.")]
            pub fn observe(&self, v: i64) {
                self.with(()).observe(v)
            }
            /// The current value.
            pub fn get(&self) -> i64 {
                self.with(()).get()
            }
            /// Resets to the identity and returns the value it held.
            pub fn reset(&self) -> i64 {
                self.with(()).reset()
            }
        }

        int_gauge_metric!($ty, Some($init));

        #[doc = concat!("One series of a [`", stringify!($ty), "`].")]
        #[derive(Clone, Copy)]
        pub struct $reference<'a>(&'a AtomicI64);

        impl $reference<'_> {
            #[doc = concat!("Keeps the ", $word, " of `v` and the current value (a CAS loop).")]
            #[inline]
            pub fn observe(self, v: i64) {
                self.0.$op(v, Relaxed);
            }
            /// The current value.
            #[inline]
            pub fn get(self) -> i64 {
                self.0.load(Relaxed)
            }
            /// Resets to the identity and returns the value it held, so a
            /// reporter can take the extreme of each interval.
            pub fn reset(self) -> i64 {
                self.0.swap($init, Relaxed)
            }
        }
    };
}

extreme_gauge!(
    /// A family of running maxima (peak queue depth, largest batch, ...).
    MaxGauge, MaxGaugeRef, fetch_max, i64::MIN, "maximum"
);
extreme_gauge!(
    /// A family of running minima (lowest free memory, ...).
    MinGauge, MinGaugeRef, fetch_min, i64::MAX, "minimum"
);

crate::metric::debug_via_collect!(Gauge, FloatGauge, MaxGauge, MinGauge);
