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
//! let acme = Tenant::get("acme");              // resolve once...
//! requests.with(acme).inc();                   // ...record at enum-label cost
//! requests.with(Tenant::get("globex")).inc();  // admitted on first use
//! requests.with(Tenant::get("initech")).inc(); // full: the overflow value
//! assert_eq!(Tenant::get("initech").as_str(), "__overflow__");
//! assert_eq!(requests.with(Tenant::overflow()).get(), 1);
//! ```

mod error;
mod table;
#[cfg(not(tally_loom))]
pub(crate) mod telemetry;

pub use error::{DynamicLabelError, Rejection};
#[doc(hidden)]
pub use table::{bucket_count, Slot};
pub use table::{DynamicValues, MAX_VALUE_LEN, OVERFLOW_VALUE};

use crate::label::LabelValue;

/// The ordinal inside a [`dynamic_label!`](crate::dynamic_label!) handle.
/// Only the table makes one, so a handle always holds an ordinal in
/// `0..=CAPACITY`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct DynamicIndex(usize);

impl DynamicIndex {
    /// The index of an ordinal the table handed out; for the macro.
    #[doc(hidden)]
    #[inline(always)]
    pub const fn __new(ordinal: usize) -> Self {
        DynamicIndex(ordinal)
    }

    /// The ordinal.
    #[inline(always)]
    pub const fn get(self) -> usize {
        self.0
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

    /// The handle of `value`, admitting it on first use while there is
    /// room; the overflow handle (counted with its reason) when the label
    /// is full or sealed or the value is invalid. Lock-free and
    /// allocation-free once `value` is admitted.
    #[inline]
    fn get(value: &str) -> Self {
        Self::__from_index(DynamicIndex(Self::table().resolve(value)))
    }

    /// Like [`get`](Self::get), but a refused value is an `Err` (and is
    /// not counted).
    fn try_get(value: &str) -> Result<Self, DynamicLabelError> {
        Self::table()
            .try_resolve(value)
            .map(|o| Self::__from_index(DynamicIndex(o)))
    }

    /// The handle of an already admitted value, without admitting it.
    fn lookup(value: &str) -> Option<Self> {
        Self::table()
            .lookup(value)
            .map(|o| Self::__from_index(DynamicIndex(o)))
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
        Self::__from_index(DynamicIndex(Self::table().overflow_ordinal()))
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
/// behaviour.
///
/// ```
/// tally_core::dynamic_label!(
///     /// An upstream host.
///     pub Upstream, name = "upstream", capacity = 16
/// );
/// Upstream::declare(["db-1", "db-2"]).unwrap();
/// assert_eq!(Upstream::get("db-2").as_str(), "db-2");
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
        $vis:vis $ty:ident, name = $name:literal, capacity = $cap:expr $(,)?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis struct $ty($crate::dynamic_label::DynamicIndex);

        $crate::dynamic_label!(@impl $ty, name = $name, capacity = $cap);

        impl ::core::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::write!(f, "{}({:?})", ::core::stringify!($ty), self.as_str())
            }
        }

        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    // The impls only, for a `struct $ty(DynamicIndex);` declared
    // elsewhere (what `#[derive(LabelValue)] #[label(dynamic, ...)]` expands to).
    (@impl $ty:ident, name = $name:expr, capacity = $cap:expr $(,)?) => {
        const _: () = {
            use $crate::dynamic_label::{DynamicIndex, DynamicValues, Slot};

            const CAPACITY: ::core::primitive::usize = $cap;
            const BUCKETS: ::core::primitive::usize = $crate::dynamic_label::bucket_count(CAPACITY);
            static BY_ORDINAL: [Slot; CAPACITY] = [Slot::EMPTY; CAPACITY];
            static HASHED: [Slot; BUCKETS] = [Slot::EMPTY; BUCKETS];
            static TABLE: DynamicValues = DynamicValues::__new($name, &BY_ORDINAL, &HASHED);

            #[diagnostic::do_not_recommend]
            impl $crate::LabelValue for $ty {
                const NAME: &'static ::core::primitive::str = $name;
                const VALUES: &'static [&'static ::core::primitive::str] =
                    &$crate::dynamic_label::__placeholders::<{ CAPACITY + 1 }>();
                const DYNAMIC: ::core::option::Option<&'static DynamicValues> =
                    ::core::option::Option::Some(&TABLE);

                #[inline(always)]
                fn ordinal(&self) -> ::core::primitive::usize {
                    self.0.get()
                }

                fn from_ordinal(ordinal: ::core::primitive::usize) -> ::core::option::Option<Self> {
                    TABLE.is_present(ordinal).then(|| $ty(DynamicIndex::__new(ordinal)))
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

                /// The handle of `value`, admitting it on first use while
                /// there is room; the overflow handle (counted) otherwise.
                #[inline]
                pub fn get(value: &::core::primitive::str) -> Self {
                    <Self as $crate::dynamic_label::DynamicLabel>::get(value)
                }

                /// Like `get`, but a refused value is an `Err` (not counted).
                pub fn try_get(
                    value: &::core::primitive::str,
                ) -> ::core::result::Result<Self, $crate::dynamic_label::DynamicLabelError> {
                    <Self as $crate::dynamic_label::DynamicLabel>::try_get(value)
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

                /// The exposed string: the admitted value, or `__overflow__`.
                pub fn as_str(&self) -> &'static ::core::primitive::str {
                    <Self as $crate::LabelValue>::as_str(self)
                }

                /// The table of admitted values (their count, overflow counts).
                pub fn table() -> &'static DynamicValues {
                    &TABLE
                }
            }
        };
    };
}
