//! Values that go up and down: [`Gauge`] (`i64`), [`FloatGauge`] (`f64`),
//! and the running extremes [`MaxGauge`] / [`MinGauge`].
//!
//! A gauge is set as well as incremented, so it cannot be split into
//! per-thread shards; each series is one atomic on its own cache line.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};

use crossbeam_utils::CachePadded;

use crate::desc::MetricKind;
use crate::float::AtomicF64;
use crate::label::{LabelDesc, LabelSet};
use crate::metric::{CollectError, Collected, Metric};
use crate::snapshot::{Series, Value};

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
pub struct Gauge<L: LabelSet = ()> {
    cells: Box<[CachePadded<AtomicI64>]>,
    _labels: PhantomData<fn(L)>,
}

impl<L: LabelSet> Gauge<L> {
    /// A family with every series at zero.
    pub fn new() -> Self {
        crate::label::refuse_expiring!(L, "Gauge");
        Gauge {
            cells: padded_cells(L::CARDINALITY, 0),
            _labels: PhantomData,
        }
    }

    /// The series for `labels`.
    #[inline(always)]
    pub fn with(&self, labels: L) -> GaugeRef<'_> {
        GaugeRef(&self.cells[labels.index()])
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

int_gauge_metric!(Gauge, None);

/// One series of a [`Gauge`].
#[derive(Clone, Copy)]
pub struct GaugeRef<'a>(&'a AtomicI64);

impl GaugeRef<'_> {
    /// Sets the value.
    #[inline]
    pub fn set(self, v: i64) {
        self.0.store(v, Relaxed)
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
        self.0.fetch_add(v, Relaxed);
    }
    /// Subtracts `v` (wrapping).
    #[inline]
    pub fn sub(self, v: i64) {
        self.0.fetch_sub(v, Relaxed);
    }
    /// The current value.
    #[inline]
    pub fn get(self) -> i64 {
        self.0.load(Relaxed)
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
