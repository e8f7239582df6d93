//! Compile-time bounded labels.
//!
//! A label is a type with a fixed, finite set of values ([`LabelValue`]);
//! a label set ([`LabelSet`]) is `()`, one label, a tuple of up to four, or
//! a struct deriving `LabelSet`. Each label set maps bijectively onto
//! `0..CARDINALITY` by mixed-radix arithmetic on the labels' ordinals (the
//! first label most significant), which is the dense series index of a
//! family. With constant labels the index folds to a constant.
//!
//! A label may also be runtime-bounded ([`dynamic_label!`](crate::dynamic_label!)):
//! a fixed capacity, values admitted at run time, read by exporters from
//! the label's [`DynamicValues`] table.

use crate::admission::DynamicValues;

/// A label type: a fixed, finite set of values, each with its exposed string.
///
/// Derive it for fieldless enums with `#[derive(tally::LabelValue)]`;
/// `bool` has it built in; [`dynamic_label!`](crate::dynamic_label!)
/// declares one whose values are admitted at run time, up to a capacity. Unbounded types (`String`, integers, `Option`,
/// `Vec`, ...) deliberately do not implement it: a label whose values are
/// not known at compile time is how metric cardinality explodes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as a metric label: its set of values is unbounded",
    label = "unbounded label type",
    note = "a label must take its values from a small fixed set, so a metric family can never grow without limit",
    note = "use a fieldless enum with `#[derive(tally::LabelValue)]` (or `bool`) instead",
    note = "for values known only at run time (tenants, hosts), declare a label with a fixed capacity: `tally::dynamic_label!(pub Tenant, name = \"tenant\", capacity = 64);`"
)]
pub trait LabelValue: Sized + Send + Sync + 'static {
    /// The label's name, e.g. `method` (default of the derive: the type
    /// name in snake_case).
    const NAME: &'static str;
    /// The exposed string of each value, by ordinal.
    const VALUES: &'static [&'static str];
    /// The number of values (`VALUES.len()`).
    const CARDINALITY: usize = Self::VALUES.len();
    /// For a runtime-bounded label ([`dynamic_label!`](crate::dynamic_label!)),
    /// the table its value names are read from (its `VALUES` are then
    /// placeholders); `None` for labels whose values are all in `VALUES`.
    const DYNAMIC: Option<&'static DynamicValues> = None;
    /// Whether values of this label expire when idle (a
    /// [`dynamic_label!`](crate::dynamic_label!) declared with
    /// `idle_secs`): its ordinals are then reused, and a handle carries a
    /// [`generation`](Self::generation) the family checks on record.
    const EXPIRES: bool = false;

    /// This value's ordinal, in `0..CARDINALITY`.
    fn ordinal(&self) -> usize;

    /// The generation of this value's ordinal: 0 for every label whose
    /// values never expire (and for an expiring label's overflow value),
    /// at least 1 for an admitted value of an expiring label.
    #[inline(always)]
    fn generation(&self) -> u32 {
        0
    }

    /// The value with the given ordinal, `None` past `CARDINALITY`.
    fn from_ordinal(ordinal: usize) -> Option<Self>;

    /// The exposed string of this value.
    fn as_str(&self) -> &'static str {
        Self::VALUES[self.ordinal()]
    }
}

/// The complete label set of a family: the key of one series.
///
/// Implemented for `()` (an unlabeled family), every [`LabelValue`],
/// tuples of up to four `LabelValue`s, and structs deriving `LabelSet`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as the labels of a metric family",
    label = "not a bounded label set",
    note = "labels are `()`, a `LabelValue` type, a tuple of up to four `LabelValue` types, or a struct with `#[derive(tally::LabelSet)]`",
    note = "every label must be a fieldless enum with `#[derive(tally::LabelValue)]` or `bool`: `String`, integers, `Option` and `Vec` are unbounded"
)]
pub trait LabelSet: Sized + Send + Sync + 'static {
    /// The number of distinct label sets: the product of the labels'
    /// cardinalities, and so the number of series of a family.
    const CARDINALITY: usize;
    /// Label names and values, for exporters.
    const DESC: &'static LabelDesc;

    /// How many of its labels expire when idle
    /// ([`LabelValue::EXPIRES`]). Only [`Counter`](crate::Counter),
    /// [`Gauge`](crate::Gauge) and [`Histogram`](crate::Histogram)
    /// families accept expiring labels,
    /// at most one per family; every other family type refuses them at
    /// compile time.
    const EXPIRING: usize = 0;

    /// This label set's series index, in `0..CARDINALITY`.
    fn index(&self) -> usize;

    /// The label set with the given series index, `None` past `CARDINALITY`.
    fn from_index(index: usize) -> Option<Self>;

    /// The [`generation`](LabelValue::generation) of its expiring label's
    /// value (0 when none expires).
    #[inline(always)]
    fn generation(&self) -> u32 {
        0
    }
}

/// Fails compilation when `L` has an expiring label: for the family types
/// that do not support them (`family` names the type in the error).
macro_rules! refuse_expiring {
    ($l:ty, $($family:tt)+) => {
        const {
            assert!(
                <$l as $crate::label::LabelSet>::EXPIRING == 0,
                concat!(
                    "labels that expire (`idle_secs`) are supported on `Counter`, `Gauge` and `Histogram` only, not on `",
                    $($family)+,
                    "`"
                )
            )
        };
    };
}
pub(crate) use refuse_expiring;

/// The static description of a label set: what exporters need to print a
/// series' labels from its index, with no allocation.
#[derive(Debug, PartialEq, Eq)]
pub struct LabelDesc {
    /// Label names, most significant first.
    pub names: &'static [&'static str],
    /// For each label, its values' exposed strings by ordinal (for a
    /// runtime-bounded label, placeholders: read names with
    /// [`value_name`](Self::value_name)).
    pub values: &'static [&'static [&'static str]],
    /// For each label, its runtime table if it is runtime-bounded; may be
    /// empty when no label is.
    pub dynamic: &'static [Option<&'static DynamicValues>],
}

impl LabelDesc {
    /// The number of series: the product of the labels' cardinalities.
    pub fn cardinality(&self) -> usize {
        self.values.iter().map(|v| v.len()).product()
    }

    /// The exposed value of label number `label` in series `series`.
    pub fn value(&self, series: usize, label: usize) -> &'static str {
        self.value_name(label, self.ordinal(series, label))
    }

    /// The ordinal of label number `label` in series `series`.
    pub fn ordinal(&self, series: usize, label: usize) -> usize {
        let stride: usize = self.values[label + 1..].iter().map(|v| v.len()).product();
        (series / stride) % self.values[label].len()
    }

    /// The exposed string of value `ordinal` of label number `label`
    /// (a runtime-bounded label's admitted value; empty if not admitted).
    pub fn value_name(&self, label: usize, ordinal: usize) -> &'static str {
        match self.dynamic.get(label).copied().flatten() {
            Some(table) => table.value(ordinal).unwrap_or(""),
            None => self.values[label][ordinal],
        }
    }

    /// Whether any label is runtime-bounded.
    pub fn has_dynamic(&self) -> bool {
        self.dynamic.iter().any(Option::is_some)
    }

    /// Whether exporters list series `series`: every runtime-bounded label
    /// of it has an admitted value (or the overflow value, once used).
    pub fn is_present(&self, series: usize) -> bool {
        self.dynamic
            .iter()
            .enumerate()
            .all(|(l, table)| match table {
                Some(table) => table.is_present(self.ordinal(series, l)),
                None => true,
            })
    }

    /// The `(name, value)` pairs of series `series`, in label order.
    pub fn pairs(&self, series: usize) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.names
            .iter()
            .enumerate()
            .map(move |(i, name)| (*name, self.value(series, i)))
    }
}

impl LabelValue for bool {
    /// `bool` has no meaningful name of its own; name it through a struct
    /// field with `#[derive(LabelSet)]`, or derive a two-variant enum.
    const NAME: &'static str = "flag";
    const VALUES: &'static [&'static str] = &["false", "true"];

    #[inline(always)]
    fn ordinal(&self) -> usize {
        *self as usize
    }

    fn from_ordinal(ordinal: usize) -> Option<Self> {
        [false, true].get(ordinal).copied()
    }
}

impl LabelSet for () {
    const CARDINALITY: usize = 1;
    const DESC: &'static LabelDesc = &LabelDesc {
        names: &[],
        values: &[],
        dynamic: &[],
    };

    #[inline(always)]
    fn index(&self) -> usize {
        0
    }

    fn from_index(index: usize) -> Option<Self> {
        (index == 0).then_some(())
    }
}

impl<T: LabelValue> LabelSet for T {
    const CARDINALITY: usize = T::CARDINALITY;
    const EXPIRING: usize = T::EXPIRES as usize;
    const DESC: &'static LabelDesc = &LabelDesc {
        names: &[T::NAME],
        values: &[T::VALUES],
        dynamic: &[T::DYNAMIC],
    };

    #[inline(always)]
    fn index(&self) -> usize {
        self.ordinal()
    }

    fn from_index(index: usize) -> Option<Self> {
        T::from_ordinal(index)
    }

    #[inline(always)]
    fn generation(&self) -> u32 {
        LabelValue::generation(self)
    }
}

/// `LabelSet` for a tuple of `LabelValue`s: mixed-radix, first most
/// significant. A product that overflows `usize` fails const evaluation.
macro_rules! tuple_label_set {
    ($($t:ident $v:ident),+) => {
        impl<$($t: LabelValue),+> LabelSet for ($($t,)+) {
            const CARDINALITY: usize = 1 $(* $t::CARDINALITY)+;
            const EXPIRING: usize = 0 $(+ $t::EXPIRES as usize)+;
            const DESC: &'static LabelDesc = &LabelDesc {
                names: &[$($t::NAME),+],
                values: &[$($t::VALUES),+],
                dynamic: &[$($t::DYNAMIC),+],
            };

            #[inline(always)]
            fn index(&self) -> usize {
                let ($($v,)+) = self;
                let mut index = 0;
                $(index = index * $t::CARDINALITY + $v.ordinal();)+
                index
            }

            fn from_index(index: usize) -> Option<Self> {
                if index >= Self::CARDINALITY {
                    return None;
                }
                let mut rest = Self::CARDINALITY;
                $(
                    rest /= $t::CARDINALITY;
                    let $v = $t::from_ordinal((index / rest) % $t::CARDINALITY)?;
                )+
                Some(($($v,)+))
            }

            #[inline(always)]
            fn generation(&self) -> u32 {
                let ($($v,)+) = self;
                0 $(| $v.generation())+
            }
        }
    };
}

tuple_label_set!(A a);
tuple_label_set!(A a, B b);
tuple_label_set!(A a, B b, C c);
tuple_label_set!(A a, B b, C c, D d);
