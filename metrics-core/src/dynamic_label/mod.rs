//! Labels whose values are known only at run time, still bounded.
//!
//! [`dynamic_label!`](crate::dynamic_label!) declares a label type with a
//! capacity `N` fixed at compile time. Its values are admitted at run time,
//! declared up front ([`DynamicLabel::declare`], e.g. from configuration)
//! and/or on first use, until `N` are taken. Its cardinality is `N + 1`:
//! every value past the capacity, and every invalid value (empty, over
//! [`MAX_VALUE_LEN`] bytes, with a control character), resolves to one
//! overflow value, exposed as [`OVERFLOW_VALUE`] (`__overflow__`, which
//! can never be admitted), and is counted with its reason in the
//! registry's `tally_label_overflow_total{label,reason}` family. Nothing
//! is dropped silently and no refused value ever makes a new series.
//!
//! A resolved handle is a plain ordinal: recording with it costs what an
//! enum label costs (no hashing, no lock, no allocation). Resolving a
//! `&str` is a lock-free hash probe for admitted values; only admitting
//! a new value allocates and takes a lock, at most `N` times per process.
//!
//! Exporters list only the series of admitted values, plus the overflow
//! series once something resolved to it.
//!
//! ```
//! use tally_core::{dynamic_label, Counter, Registry, Desc};
//! dynamic_label!(
//!     /// The customer a request is for.
//!     pub Tenant, name = "tenant", capacity = 2
//! );
//! Tenant::declare(["acme"]).unwrap();          // from configuration
//! let registry = Registry::new();
//! let requests = registry
//!     .register(Desc::new("requests_total", "Requests."), Counter::<Tenant>::new())
//!     .unwrap();
//! let acme = Tenant::admit("acme");              // resolve once...
//! requests.with(acme).inc();                   // ...record at enum-label cost
//! requests.with(Tenant::admit("globex")).inc();  // admitted on first use
//! requests.with(Tenant::admit("initech")).inc(); // full: the overflow value
//! assert_eq!(Tenant::admit("initech").as_str(), "__overflow__");
//! assert_eq!(requests.with(Tenant::overflow()).get(), 1);
//! ```
//!
//! # Values that expire
//!
//! Declared with `idle_secs = N` (`dynamic_label!(pub Session, name =
//! "session", capacity = 64, idle_secs = 3600)`, or the derive's
//! `#[label(dynamic, ..., idle_secs = 3600)]`), a label's values give
//! their slot to new ones once idle. The rule:
//!
//! - A value is evicted only when a new value needs a slot, every slot is
//!   taken and the label is not sealed, and only if an export (a
//!   `Registry::snapshot` of a registry holding a family with the label)
//!   that ended saw its last write, at least one more export ended after
//!   that one, and `N` seconds have passed since the first of them ended.
//!   So its last values could always be exported; with no exporter nothing
//!   is evicted. Evictions are counted in `tally_label_evicted_total{label}`.
//! - A re-admitted value starts from zero, and nothing recorded under an
//!   evicted value is ever read under the value that took its slot: a
//!   handle carries its slot's generation, each counter and histogram
//!   shard keeps the generation its cells were written under (reset by
//!   their owner, never by the evictor), each gauge cell holds its value
//!   with its generation (replaced together by compare-and-swap), and
//!   readers skip cells of another generation.
//! - A handle kept past its value's eviction records into the overflow
//!   value, counted with reason `expired`.
//! - Names are `Arc<str>`, freed on eviction (memory stays flat under any
//!   churn); snapshots carry them (`FamilySnapshot::value_name`).
//!   [`LabelValue::as_str`] is `""` for such a value; the handle's `name()`
//!   returns it.
//! - Only [`Counter`](crate::Counter), [`Gauge`](crate::Gauge) and
//!   [`Histogram`](crate::Histogram) families take such a label (at most
//!   one per family); other family types refuse it at compile time.
//! - Recording through a resolved handle into a counter or histogram adds
//!   one compare of the writer's stamp of the series (generation and
//!   the process-wide export epoch, one load of a static), plus a check of the slot's mark on each thread's first
//!   write per export (one compare-and-swap per slot per export); into a
//!   gauge, the mark check and a 128-bit compare-and-swap. Resolving a
//!   string takes a read lock.
//!
//! ```
//! use std::{sync::Arc, time::Duration};
//! use tally_core::{dynamic_label, Counter, Desc, ManualClock, Registry};
//! dynamic_label!(pub Session, name = "session", capacity = 1, idle_secs = 60);
//! let clock = ManualClock::new();
//! Session::table().set_clock(Arc::new(clock.clone()));
//! let registry = Registry::new();
//! let hits = registry
//!     .register(Desc::new("hits_total", "Hits."), Counter::<Session>::new())
//!     .unwrap();
//! let a = Session::admit("a");
//! hits.with(a).add(3);
//! registry.snapshot(); // sees a's write
//! registry.snapshot(); // one more export
//! clock.advance(Duration::from_secs(60));
//! let b = Session::admit("b"); // a was idle: b takes its slot
//! assert_eq!(hits.with(b).get(), 0);
//! assert_eq!(a.name(), None);
//! assert_eq!(Session::table().evicted(), 1);
//! ```

#[cfg(not(tally_loom))]
pub(crate) mod telemetry;

#[doc(hidden)]
pub use crate::admission::{bucket_count, Mark, Slot};
pub use crate::admission::{
    DynamicLabelError, DynamicValues, Rejection, MAX_VALUE_LEN, OVERFLOW_VALUE,
};

use crate::label::LabelValue;

/// The ordinal inside a [`dynamic_label!`](crate::dynamic_label!) handle.
/// Only the table makes one, so a handle always holds an ordinal in
/// `0..=CAPACITY`.
/// For a label with an idle time it also holds the generation of its
/// slot, so a handle kept past its value's eviction is told apart from
/// the value that took the slot.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct DynamicIndex(u32, u32);

impl DynamicIndex {
    /// The index of an ordinal the table handed out; for the macro.
    #[doc(hidden)]
    #[inline(always)]
    pub const fn __new(ordinal: usize) -> Self {
        DynamicIndex(ordinal as u32, 0)
    }

    /// The index of an ordinal and generation the table handed out.
    #[doc(hidden)]
    #[inline(always)]
    pub const fn __handle((ordinal, generation): (usize, u32)) -> Self {
        DynamicIndex(ordinal as u32, generation)
    }

    /// The ordinal.
    #[inline(always)]
    pub const fn get(self) -> usize {
        self.0 as usize
    }

    /// The generation of the ordinal's slot (0 unless the label has an
    /// idle time and this is an admitted value).
    #[inline(always)]
    pub const fn generation(self) -> u32 {
        self.1
    }
}

/// A runtime-bounded label type, declared with
/// [`dynamic_label!`](crate::dynamic_label!). The macro also gives the
/// type inherent methods of the same names, so this trait need not be
/// imported.
pub trait DynamicLabel: LabelValue + Copy {
    /// How many values can be admitted (the overflow value excluded).
    const CAPACITY: usize;

    /// The type's table of admitted values.
    fn table() -> &'static DynamicValues;

    /// The handle of a table ordinal.
    #[doc(hidden)]
    fn __from_index(index: DynamicIndex) -> Self;

    /// Admits `value`: its handle, admitting it on first use while there
    /// is room; the overflow handle (counted with its reason) when the
    /// label is full or sealed or the value is invalid. Lock-free and
    /// allocation-free once `value` is admitted. To read without
    /// admitting, use [`lookup`](Self::lookup).
    #[inline]
    fn admit(value: &str) -> Self {
        Self::__from_index(DynamicIndex::__handle(Self::table().resolve_handle(value)))
    }

    /// Like [`admit`](Self::admit), but a refused value is an `Err` (and
    /// is not counted).
    fn try_admit(value: &str) -> Result<Self, DynamicLabelError> {
        Self::table()
            .try_resolve_handle(value)
            .map(|h| Self::__from_index(DynamicIndex::__handle(h)))
    }

    /// Old name of [`admit`](Self::admit).
    #[deprecated(
        since = "0.1.0",
        note = "use `admit`: it admits the value, `get` only reads elsewhere"
    )]
    #[inline]
    fn get(value: &str) -> Self {
        Self::admit(value)
    }

    /// Old name of [`try_admit`](Self::try_admit).
    #[deprecated(since = "0.1.0", note = "use `try_admit`")]
    fn try_get(value: &str) -> Result<Self, DynamicLabelError> {
        Self::try_admit(value)
    }

    /// The handle of an already admitted value, without admitting it.
    fn lookup(value: &str) -> Option<Self> {
        Self::table()
            .lookup_handle(value)
            .map(|h| Self::__from_index(DynamicIndex::__handle(h)))
    }

    /// Admits every value (e.g. from configuration at startup), or none if
    /// one is invalid or they do not fit.
    fn declare<I>(values: I) -> Result<(), DynamicLabelError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Self::table().declare(values)
    }

    /// Stops admission on first use: only values admitted so far resolve.
    fn seal() {
        Self::table().seal()
    }

    /// The overflow handle (its series is then listed by exporters).
    fn overflow() -> Self {
        Self::__from_index(DynamicIndex::__new(Self::table().overflow_ordinal()))
    }
}

/// `[""; M]` with the overflow value last: a dynamic label's `VALUES`
/// (its real names are read from its table).
#[doc(hidden)]
pub const fn __placeholders<const M: usize>() -> [&'static str; M] {
    let mut values = [""; M];
    values[M - 1] = OVERFLOW_VALUE;
    values
}

/// Declares a runtime-bounded label type: a `Copy` handle usable
/// wherever a [`LabelValue`](crate::LabelValue) is (alone, in tuples, in
/// `#[derive(LabelSet)]` structs, as a `#[derive(Metrics)]` field's
/// labels), with cardinality `capacity + 1` for the compile-time series
/// budget. See [the module docs](mod@crate::dynamic_label) for the overflow
/// behaviour. An optional `idle_secs = N` (at least 1) makes its values
/// expire after `N` seconds without a write (see
/// [values that expire](mod@crate::dynamic_label#values-that-expire)).
///
/// ```
/// tally_core::dynamic_label!(
///     /// An upstream host.
///     pub Upstream, name = "upstream", capacity = 16
/// );
/// Upstream::declare(["db-1", "db-2"]).unwrap();
/// assert_eq!(Upstream::admit("db-2").as_str(), "db-2");
/// assert!(Upstream::declare([""]).is_err());
/// ```
///
/// The derive form declares the same type from a tuple struct (derive
/// `Clone` and `Copy` too; `Debug` shows the index):
///
/// ```ignore
/// #[derive(tally::LabelValue, Clone, Copy, PartialEq, Eq, Debug)]
/// #[label(dynamic, name = "tenant", capacity = 64)]
/// pub struct Tenant(tally::dynamic_label::DynamicIndex);
/// ```
#[macro_export]
macro_rules! dynamic_label {
    (
        $(#[$meta:meta])*
        $vis:vis $ty:ident, name = $name:literal, capacity = $cap:expr
        $(, idle_secs = $idle:expr)? $(,)?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis struct $ty($crate::dynamic_label::DynamicIndex);

        $crate::dynamic_label!(@impl $ty, name = $name, capacity = $cap $(, idle_secs = $idle)?);

        impl ::core::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::write!(f, "{}({:?})", ::core::stringify!($ty), self.name().as_deref().unwrap_or(""))
            }
        }

        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.name().as_deref().unwrap_or(""))
            }
        }
    };
    (@idle) => { ::core::option::Option::None };
    (@idle $idle:expr) => { ::core::option::Option::Some($idle) };
    // The impls only, for a `struct $ty(DynamicIndex);` declared
    // elsewhere (what `#[derive(LabelValue)] #[label(dynamic, ...)]` expands to).
    (@impl $ty:ident, name = $name:expr, capacity = $cap:expr $(, idle_secs = $idle:expr)? $(,)?) => {
        const _: () = {
            use $crate::dynamic_label::{DynamicIndex, DynamicValues, Mark, Slot};

            const CAPACITY: ::core::primitive::usize = $cap;
            const IDLE: ::core::option::Option<::core::primitive::u64> =
                $crate::dynamic_label!(@idle $($idle)?);
            const BUCKETS: ::core::primitive::usize = match IDLE {
                ::core::option::Option::None => $crate::dynamic_label::bucket_count(CAPACITY),
                ::core::option::Option::Some(_) => 0,
            };
            const MARKS: ::core::primitive::usize = match IDLE {
                ::core::option::Option::None => 0,
                ::core::option::Option::Some(_) => CAPACITY,
            };
            static BY_ORDINAL: [Slot; CAPACITY] = [Slot::EMPTY; CAPACITY];
            static HASHED: [Slot; BUCKETS] = [Slot::EMPTY; BUCKETS];
            static MARKED: [Mark; MARKS] = [Mark::EMPTY; MARKS];
            static TABLE: DynamicValues = match IDLE {
                ::core::option::Option::None => DynamicValues::__new($name, &BY_ORDINAL, &HASHED),
                ::core::option::Option::Some(idle) => {
                    DynamicValues::__new_expiring($name, &BY_ORDINAL, &MARKED, idle)
                }
            };

            #[diagnostic::do_not_recommend]
            impl $crate::LabelValue for $ty {
                const NAME: &'static ::core::primitive::str = $name;
                const VALUES: &'static [&'static ::core::primitive::str] =
                    &$crate::dynamic_label::__placeholders::<{ CAPACITY + 1 }>();
                const DYNAMIC: ::core::option::Option<&'static DynamicValues> =
                    ::core::option::Option::Some(&TABLE);
                const EXPIRES: ::core::primitive::bool = IDLE.is_some();

                #[inline(always)]
                fn ordinal(&self) -> ::core::primitive::usize {
                    self.0.get()
                }

                #[inline(always)]
                fn generation(&self) -> ::core::primitive::u32 {
                    // A constant 0 for a label without an idle time.
                    if IDLE.is_some() { self.0.generation() } else { 0 }
                }

                fn from_ordinal(ordinal: ::core::primitive::usize) -> ::core::option::Option<Self> {
                    TABLE.is_present(ordinal).then(|| {
                        $ty(DynamicIndex::__handle((ordinal, TABLE.__generation(ordinal))))
                    })
                }

                fn as_str(&self) -> &'static ::core::primitive::str {
                    TABLE.value(self.0.get()).unwrap_or("")
                }
            }

            impl $crate::dynamic_label::DynamicLabel for $ty {
                const CAPACITY: ::core::primitive::usize = CAPACITY;

                #[inline(always)]
                fn table() -> &'static DynamicValues {
                    &TABLE
                }

                #[inline(always)]
                fn __from_index(index: DynamicIndex) -> Self {
                    $ty(index)
                }
            }

            #[allow(dead_code)]
            impl $ty {
                /// How many values can be admitted (the overflow value excluded).
                pub const CAPACITY: ::core::primitive::usize = CAPACITY;

                /// Admits `value`: its handle, admitting it on first use
                /// while there is room; the overflow handle (counted)
                /// otherwise. `lookup` reads without admitting.
                #[inline]
                pub fn admit(value: &::core::primitive::str) -> Self {
                    <Self as $crate::dynamic_label::DynamicLabel>::admit(value)
                }

                /// Like `admit`, but a refused value is an `Err` (not counted).
                pub fn try_admit(
                    value: &::core::primitive::str,
                ) -> ::core::result::Result<Self, $crate::dynamic_label::DynamicLabelError> {
                    <Self as $crate::dynamic_label::DynamicLabel>::try_admit(value)
                }

                /// Old name of `admit`.
                #[deprecated(since = "0.1.0", note = "use `admit`")]
                #[inline]
                pub fn get(value: &::core::primitive::str) -> Self {
                    <Self as $crate::dynamic_label::DynamicLabel>::admit(value)
                }

                /// Old name of `try_admit`.
                #[deprecated(since = "0.1.0", note = "use `try_admit`")]
                pub fn try_get(
                    value: &::core::primitive::str,
                ) -> ::core::result::Result<Self, $crate::dynamic_label::DynamicLabelError> {
                    <Self as $crate::dynamic_label::DynamicLabel>::try_admit(value)
                }

                /// The handle of an already admitted value, without admitting it.
                pub fn lookup(value: &::core::primitive::str) -> ::core::option::Option<Self> {
                    <Self as $crate::dynamic_label::DynamicLabel>::lookup(value)
                }

                /// Admits every value (e.g. from configuration), or none if
                /// one is invalid or they do not fit.
                pub fn declare<I>(
                    values: I,
                ) -> ::core::result::Result<(), $crate::dynamic_label::DynamicLabelError>
                where
                    I: ::core::iter::IntoIterator,
                    I::Item: ::core::convert::AsRef<::core::primitive::str>,
                {
                    TABLE.declare(values)
                }

                /// Stops admission on first use: only values admitted so far resolve.
                pub fn seal() {
                    TABLE.seal()
                }

                /// The overflow handle (its series is then listed by exporters).
                pub fn overflow() -> Self {
                    <Self as $crate::dynamic_label::DynamicLabel>::overflow()
                }

                /// Whether this is the overflow handle.
                pub fn is_overflow(&self) -> ::core::primitive::bool {
                    self.0.get() == CAPACITY
                }

                /// The exposed string: the admitted value, or `__overflow__`
                /// (for a label with an idle time, `""` unless overflow: use
                /// [`name`](Self::name)).
                pub fn as_str(&self) -> &'static ::core::primitive::str {
                    <Self as $crate::LabelValue>::as_str(self)
                }

                /// The value's name: the admitted value or `__overflow__`;
                /// `None` once an expiring value was evicted.
                pub fn name(&self) -> ::core::option::Option<::std::sync::Arc<::core::primitive::str>> {
                    TABLE.name_of(self.0.get(), self.0.generation())
                }

                /// The table of admitted values (their count, overflow counts).
                pub fn table() -> &'static DynamicValues {
                    &TABLE
                }
            }
        };
    };
}
