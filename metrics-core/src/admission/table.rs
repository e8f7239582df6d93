//! The admission table behind a runtime-bounded label type: at most
//! `capacity` strings, each given the next ordinal exactly once.
//!
//! Lookups are lock-free: an open-addressing hash table (at least twice
//! the capacity, so a probe always ends at an empty bucket) of pointers to
//! leaked entries, published with `Release` and read with `Acquire`.
//! Admission is rare (at most `capacity` times in a process) and takes a
//! mutex, which makes "one value, one ordinal" trivially true; the loom
//! model below checks that lookups racing an admission see either nothing
//! or the whole entry. Entries are never freed: they are bounded by the
//! capacity and the 128-byte value limit.

#[cfg(tally_loom)]
use loom::sync::{
    atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering},
    Mutex,
};
#[cfg(not(tally_loom))]
use std::sync::{
    atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering},
    Mutex,
};

use super::error::{DynamicLabelError, Rejection};
use super::expiry::{Expiry, Mark, NoSlot, SlotNames};

/// The longest admitted value, in bytes.
pub const MAX_VALUE_LEN: usize = 128;

/// The exposed value of the overflow series of every runtime-bounded
/// label. It cannot be admitted (it is [`Rejection::Reserved`]), so it
/// never collides with a real value.
pub const OVERFLOW_VALUE: &str = "__overflow__";

/// One admitted value.
struct Entry {
    ordinal: usize,
    hash: u64,
    value: &'static str,
}

/// One pointer cell of a table; storage for [`dynamic_label!`](crate::dynamic_label).
#[doc(hidden)]
pub struct Slot(AtomicPtr<Entry>);

impl Slot {
    /// An empty slot.
    #[cfg(not(tally_loom))]
    #[allow(clippy::declare_interior_mutable_const)]
    pub const EMPTY: Slot = Slot(AtomicPtr::new(std::ptr::null_mut()));

    /// An empty slot.
    pub fn new() -> Slot {
        Slot(AtomicPtr::new(std::ptr::null_mut()))
    }

    fn load(&self) -> Option<&'static Entry> {
        let p = self.0.load(Ordering::Acquire);
        // SAFETY: a non-null pointer in a slot comes from `Box::leak` in
        // `admit_locked` and is never freed or written through; the
        // `Acquire` load pairs with the `Release` store that published it,
        // so the entry's fields are visible.
        #[allow(unsafe_code)]
        unsafe {
            p.as_ref()
        }
    }

    fn store(&self, entry: &'static Entry) {
        self.0
            .store(entry as *const Entry as *mut Entry, Ordering::Release);
    }
}

impl Default for Slot {
    fn default() -> Self {
        Slot::new()
    }
}

/// The bucket count of a table of `capacity` values: a power of two, at
/// least twice the capacity.
#[doc(hidden)]
pub const fn bucket_count(capacity: usize) -> usize {
    (capacity * 2).next_power_of_two()
}

/// The values of one runtime-bounded label type: what
/// [`dynamic_label!`](crate::dynamic_label!) types resolve strings with,
/// and what exporters read value names and overflow counts from.
pub struct DynamicValues {
    name: &'static str,
    by_ordinal: &'static [Slot],
    buckets: &'static [Slot],
    len: AtomicUsize,
    admission: Mutex<()>,
    sealed: AtomicBool,
    overflow_used: AtomicBool,
    rejected: [AtomicU64; Rejection::ALL.len()],
    /// For a label declared with `idle_secs`: the state of its expiring
    /// values (which then live there, not in `by_ordinal`/`buckets`).
    expiry: Option<Expiry>,
}

macro_rules! new_table {
    ($name:expr, $by_ordinal:expr, $buckets:expr) => {
        new_table!($name, $by_ordinal, $buckets, None)
    };
    ($name:expr, $by_ordinal:expr, $buckets:expr, $expiry:expr) => {
        DynamicValues {
            name: $name,
            by_ordinal: $by_ordinal,
            buckets: $buckets,
            len: AtomicUsize::new(0),
            admission: Mutex::new(()),
            sealed: AtomicBool::new(false),
            overflow_used: AtomicBool::new(false),
            rejected: [
                AtomicU64::new(0),
                AtomicU64::new(0),
                AtomicU64::new(0),
                AtomicU64::new(0),
                AtomicU64::new(0),
                AtomicU64::new(0),
                AtomicU64::new(0),
            ],
            expiry: $expiry,
        }
    };
}

impl DynamicValues {
    /// A table over static storage, for [`dynamic_label!`](crate::dynamic_label):
    /// `by_ordinal` holds the capacity, `buckets` must have
    /// [`bucket_count`]`(capacity)` slots.
    #[doc(hidden)]
    #[cfg(not(tally_loom))]
    pub const fn __new(
        name: &'static str,
        by_ordinal: &'static [Slot],
        buckets: &'static [Slot],
    ) -> Self {
        assert!(
            !by_ordinal.is_empty(),
            "a dynamic label needs a capacity of at least 1"
        );
        assert!(buckets.len() == bucket_count(by_ordinal.len()));
        assert!(
            by_ordinal.len() < u32::MAX as usize,
            "a dynamic label's capacity is below 2^32 - 1"
        );
        new_table!(name, by_ordinal, buckets)
    }

    /// A table over static storage whose values expire after `idle_secs`
    /// seconds without a write, for `dynamic_label!(..., idle_secs = N)`:
    /// `marks` holds the capacity.
    #[doc(hidden)]
    #[cfg(not(tally_loom))]
    pub const fn __new_expiring(
        name: &'static str,
        by_ordinal: &'static [Slot],
        marks: &'static [Mark],
        idle_secs: u64,
    ) -> Self {
        assert!(
            !by_ordinal.is_empty(),
            "a dynamic label needs a capacity of at least 1"
        );
        assert!(marks.len() == by_ordinal.len());
        assert!(
            by_ordinal.len() < u32::MAX as usize,
            "a dynamic label's capacity is below 2^32 - 1"
        );
        assert!(
            idle_secs > 0,
            "a dynamic label's idle_secs must be at least 1"
        );
        new_table!(name, by_ordinal, &[], Some(Expiry::new(idle_secs, marks)))
    }

    /// An expiring table with leaked storage and an idle time in
    /// nanoseconds (the loom model builds one per run).
    #[cfg(tally_loom)]
    pub(crate) fn leaked_expiring(name: &'static str, capacity: usize, idle_nanos: u64) -> Self {
        let slots: &'static [Slot] = Box::leak(
            (0..capacity)
                .map(|_| Slot::new())
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let marks: &'static [Mark] = Box::leak(
            (0..capacity)
                .map(|_| Mark::new())
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        new_table!(name, slots, &[], Some(Expiry::new_nanos(idle_nanos, marks)))
    }

    /// A table created at run time, for labels whose names are known only
    /// at run time too (the `metrics` recorder's). Its storage is leaked:
    /// create a bounded number of them. `Err` for a capacity of 0 or of
    /// 2^32 - 1 and more.
    #[cfg(not(tally_loom))]
    pub fn leak(name: &'static str, capacity: usize) -> Result<&'static Self, DynamicLabelError> {
        if capacity == 0 || capacity >= u32::MAX as usize {
            return Err(DynamicLabelError::Full {
                label: name,
                capacity,
                value: String::new(),
            });
        }
        Ok(Box::leak(Box::new(Self::leaked(name, capacity))))
    }

    /// A table with leaked storage (the loom model builds one per run).
    fn leaked(name: &'static str, capacity: usize) -> Self {
        let slots = |n: usize| -> &'static [Slot] {
            Box::leak(
                (0..n)
                    .map(|_| Slot::new())
                    .collect::<Vec<_>>()
                    .into_boxed_slice(),
            )
        };
        new_table!(name, slots(capacity), slots(bucket_count(capacity)))
    }

    /// The label's name (`tenant`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How many values can be admitted (the overflow value excluded).
    pub fn capacity(&self) -> usize {
        self.by_ordinal.len()
    }

    /// How many values are admitted now.
    pub fn len(&self) -> usize {
        match &self.expiry {
            Some(expiry) => expiry.live(),
            None => self.len.load(Ordering::Acquire),
        }
    }

    /// The idle time after which a value is evicted (see
    /// [the module docs](mod@crate::dynamic_label)), for a label declared
    /// with `idle_secs`; `None` when values never expire.
    pub fn idle(&self) -> Option<std::time::Duration> {
        self.expiry
            .as_ref()
            .map(|e| std::time::Duration::from_nanos(e.idle_nanos()))
    }

    /// Values evicted to make room for new ones, since start (always 0
    /// for a label without an idle time): `tally_label_evicted_total`.
    pub fn evicted(&self) -> u64 {
        self.expiry.as_ref().map_or(0, Expiry::evicted)
    }

    /// Exports that ended since start, as counted for expiry (0 for a
    /// label without an idle time).
    pub fn exports(&self) -> u64 {
        self.expiry.as_ref().map_or(0, Expiry::exports)
    }

    /// Reads idle times from `clock` from now on instead of the monotonic
    /// clock: for simulations and tests (a [`ManualClock`](crate::ManualClock)).
    /// No effect on a label without an idle time.
    pub fn set_clock(&self, clock: std::sync::Arc<dyn crate::Clock>) {
        if let Some(expiry) = &self.expiry {
            expiry.set_clock(clock)
        }
    }

    /// The admitted values of an expiring label, by ordinal (`None` for a
    /// never used slot), with the generation each holds its slot at.
    pub(crate) fn expiring_names(&self) -> Option<SlotNames> {
        Some(self.expiry.as_ref()?.names())
    }

    /// The current generation of an ordinal's slot (0 for the overflow
    /// ordinal and for a label without an idle time); for the macro.
    #[doc(hidden)]
    pub fn __generation(&self, ordinal: usize) -> u32 {
        match &self.expiry {
            Some(expiry) if ordinal < self.capacity() => expiry.generation(ordinal),
            _ => 0,
        }
    }

    /// The expiry state, for a label declared with `idle_secs`.
    #[inline(always)]
    pub(crate) fn expiry(&self) -> Option<&Expiry> {
        self.expiry.as_ref()
    }

    /// Ends an export of a registry tracking this label: what expiry
    /// counts exports with (nothing for a label without an idle time).
    pub(crate) fn end_export(&self) {
        if let Some(expiry) = &self.expiry {
            expiry.end_export()
        }
    }

    /// The name of an expiring label's value by ordinal and generation,
    /// while it holds its slot; the overflow value for the overflow
    /// ordinal; for other labels, the admitted value.
    pub fn name_of(&self, ordinal: usize, generation: u32) -> Option<std::sync::Arc<str>> {
        if ordinal == self.capacity() {
            return Some(OVERFLOW_VALUE.into());
        }
        match &self.expiry {
            Some(expiry) => expiry.name(ordinal, generation),
            None => self.value(ordinal).map(Into::into),
        }
    }

    /// Counts a record through a handle whose value was evicted (it went
    /// to the overflow value).
    #[cold]
    pub(crate) fn count_expired(&self) {
        self.rejected[Rejection::Expired as usize].fetch_add(1, Ordering::Relaxed);
        self.overflow_ordinal();
    }

    /// Whether no value is admitted yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ordinal of an admitted value, without admitting it: lock-free,
    /// allocation-free.
    pub fn lookup(&self, value: &str) -> Option<usize> {
        self.lookup_handle(value).map(|(o, _)| o)
    }

    /// The ordinal and generation of an admitted value (generation 0 for
    /// a label without an idle time).
    pub fn lookup_handle(&self, value: &str) -> Option<(usize, u32)> {
        if let Some(expiry) = &self.expiry {
            return expiry.lookup(value);
        }
        let hash = hash(value);
        let mask = self.buckets.len() - 1;
        let mut i = hash as usize & mask;
        // The table is at most half full, so the probe ends.
        loop {
            let entry = self.buckets[i].load()?;
            if entry.hash == hash && entry.value == value {
                return Some((entry.ordinal, 0));
            }
            i = (i + 1) & mask;
        }
    }

    /// The ordinal of `value`, admitting it if it is new, valid and there
    /// is room: the recording path. A refused value gets the overflow
    /// ordinal (`capacity()`) and is counted with its reason.
    pub fn resolve(&self, value: &str) -> usize {
        self.resolve_handle(value).0
    }

    /// Like [`resolve`](Self::resolve), with the generation of the slot
    /// (0 for the overflow value and for a label without an idle time).
    pub fn resolve_handle(&self, value: &str) -> (usize, u32) {
        match self.try_resolve_handle(value) {
            Ok(handle) => handle,
            Err(e) => {
                self.rejected[e.reason() as usize].fetch_add(1, Ordering::Relaxed);
                (self.overflow_ordinal(), 0)
            }
        }
    }

    /// Like [`resolve`](Self::resolve), but a refused value is an `Err`
    /// (not counted).
    pub fn try_resolve(&self, value: &str) -> Result<usize, DynamicLabelError> {
        self.try_resolve_handle(value).map(|(o, _)| o)
    }

    /// Like [`try_resolve`](Self::try_resolve), with the generation of
    /// the slot (0 for a label without an idle time).
    pub fn try_resolve_handle(&self, value: &str) -> Result<(usize, u32), DynamicLabelError> {
        if let Some(handle) = self.lookup_handle(value) {
            return Ok(handle);
        }
        self.check(value)?;
        if let Some(expiry) = &self.expiry {
            // Sealed: the values admitted so far stay, none is evicted.
            if self.sealed.load(Ordering::Acquire) {
                return self
                    .lookup_handle(value)
                    .ok_or_else(|| self.sealed_error(value));
            }
            return expiry
                .admit(value)
                .map_err(|NoSlot::Full| self.full_error(value));
        }
        Ok((self.try_resolve_static(value)?, 0))
    }

    /// The admission path of a label without an idle time.
    fn try_resolve_static(&self, value: &str) -> Result<usize, DynamicLabelError> {
        // Refusals past capacity take no lock. The value may have been
        // admitted since the first lookup, by the admission that filled
        // (or preceded the seal of) the table: the `Acquire` loads below
        // make that admission visible, so look again before refusing.
        if self.sealed.load(Ordering::Acquire) {
            return self.lookup(value).ok_or_else(|| self.sealed_error(value));
        }
        if self.len() >= self.capacity() {
            return self.lookup(value).ok_or_else(|| self.full_error(value));
        }
        let _guard = self.admission.lock().unwrap_or_else(|e| e.into_inner());
        self.admit_locked(value)
    }

    /// Admits every value of `values` (already admitted ones are kept),
    /// or none if any is invalid or they do not all fit.
    pub fn declare<I>(&self, values: I) -> Result<(), DynamicLabelError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let values: Vec<I::Item> = values.into_iter().collect();
        for v in &values {
            self.check(v.as_ref())?;
        }
        if let Some(expiry) = &self.expiry {
            let values: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
            if self.sealed.load(Ordering::Acquire) {
                if let Some(v) = values.iter().find(|v| expiry.lookup(v).is_none()) {
                    return Err(self.sealed_error(v));
                }
                return Ok(());
            }
            return expiry
                .admit_all(&values)
                .map_err(|NoSlot::Full| self.full_error(values.last().copied().unwrap_or("")));
        }
        let _guard = self.admission.lock().unwrap_or_else(|e| e.into_inner());
        let mut new: Vec<&str> = Vec::new();
        for v in &values {
            let v = v.as_ref();
            if self.lookup(v).is_none() && !new.contains(&v) {
                new.push(v);
            }
        }
        if let Some(first) = new.first() {
            if self.sealed.load(Ordering::Acquire) {
                return Err(self.sealed_error(first));
            }
        }
        if self.len.load(Ordering::Relaxed) + new.len() > self.capacity() {
            let v = new[self.capacity() - self.len.load(Ordering::Relaxed)];
            return Err(self.full_error(v));
        }
        for v in new {
            self.admit_locked(v)?;
        }
        Ok(())
    }

    /// Stops admission on first use: from now on only the values already
    /// admitted resolve, the rest go to the overflow value (counted as
    /// [`Rejection::Sealed`]).
    pub fn seal(&self) {
        let _guard = self.admission.lock().unwrap_or_else(|e| e.into_inner());
        self.sealed.store(true, Ordering::Release);
    }

    /// The overflow ordinal (`capacity()`), marking the overflow series as
    /// used so exporters list it.
    pub fn overflow_ordinal(&self) -> usize {
        if !self.overflow_used.load(Ordering::Relaxed) {
            self.overflow_used.store(true, Ordering::Relaxed);
        }
        self.capacity()
    }

    /// The exposed string of an ordinal: an admitted value, the overflow
    /// value, or `None` (not admitted yet, or out of range).
    pub fn value(&self, ordinal: usize) -> Option<&'static str> {
        if ordinal == self.capacity() {
            return Some(OVERFLOW_VALUE);
        }
        if self.expiry.is_some() {
            // Names of expiring values are not `'static`: a snapshot
            // carries them (`FamilySnapshot::value_name`).
            return None;
        }
        Some(self.by_ordinal.get(ordinal)?.load()?.value)
    }

    /// Whether exporters list series with this ordinal: an admitted value,
    /// or the overflow value once something went there.
    pub fn is_present(&self, ordinal: usize) -> bool {
        if let Some(expiry) = &self.expiry {
            if ordinal < self.capacity() {
                return expiry.generation(ordinal) != 0;
            }
        }
        ordinal < self.len()
            || (ordinal == self.capacity() && self.overflow_used.load(Ordering::Relaxed))
    }

    /// The admitted values, by ordinal (empty for a label with an idle
    /// time, whose names are not `'static`: see [`names`](Self::names)).
    pub fn values(&self) -> Vec<&'static str> {
        (0..self.len()).filter_map(|o| self.value(o)).collect()
    }

    /// The admitted values now, by ordinal, for every kind of label.
    pub fn names(&self) -> Vec<std::sync::Arc<str>> {
        match &self.expiry {
            Some(expiry) => expiry
                .names()
                .into_iter()
                .flatten()
                .map(|(_, n)| n)
                .collect(),
            None => self.values().into_iter().map(Into::into).collect(),
        }
    }

    /// How many resolutions were refused for `reason` and went to the
    /// overflow value, since start.
    pub fn rejected(&self, reason: Rejection) -> u64 {
        self.rejected[reason as usize].load(Ordering::Relaxed)
    }

    /// Why `value` can never be admitted, if it cannot.
    fn check(&self, value: &str) -> Result<(), DynamicLabelError> {
        let label = self.name;
        if value.is_empty() {
            return Err(DynamicLabelError::Empty { label });
        }
        if value.len() > MAX_VALUE_LEN {
            return Err(DynamicLabelError::TooLong {
                label,
                len: value.len(),
                max: MAX_VALUE_LEN,
            });
        }
        if value.chars().any(char::is_control) {
            return Err(DynamicLabelError::ControlChar {
                label,
                value: value.escape_debug().to_string(),
            });
        }
        if value == OVERFLOW_VALUE {
            return Err(DynamicLabelError::Reserved { label });
        }
        Ok(())
    }

    fn sealed_error(&self, value: &str) -> DynamicLabelError {
        DynamicLabelError::Sealed {
            label: self.name,
            value: value.escape_debug().to_string(),
        }
    }

    fn full_error(&self, value: &str) -> DynamicLabelError {
        DynamicLabelError::Full {
            label: self.name,
            capacity: self.capacity(),
            value: value.escape_debug().to_string(),
        }
    }

    /// Admits a checked value; the caller holds the admission lock, so
    /// this is the only writer.
    fn admit_locked(&self, value: &str) -> Result<usize, DynamicLabelError> {
        if let Some(ordinal) = self.lookup(value) {
            return Ok(ordinal);
        }
        if self.sealed.load(Ordering::Relaxed) {
            return Err(self.sealed_error(value));
        }
        let ordinal = self.len.load(Ordering::Relaxed);
        if ordinal >= self.capacity() {
            return Err(self.full_error(value));
        }
        let hash = hash(value);
        let entry: &'static Entry = Box::leak(Box::new(Entry {
            ordinal,
            hash,
            value: Box::leak(value.into()),
        }));
        // The name first, then the bucket: a lookup that finds the entry
        // can read the name by its ordinal.
        self.by_ordinal[ordinal].store(entry);
        let mask = self.buckets.len() - 1;
        let mut i = hash as usize & mask;
        while self.buckets[i].load().is_some() {
            i = (i + 1) & mask;
        }
        self.buckets[i].store(entry);
        self.len.store(ordinal + 1, Ordering::Release);
        Ok(ordinal)
    }
}

/// Tables are compared by identity: each label type has its own.
impl PartialEq for DynamicValues {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for DynamicValues {}

impl std::fmt::Debug for DynamicValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamicValues")
            .field("name", &self.name)
            .field("capacity", &self.capacity())
            .field("values", &self.values())
            .finish()
    }
}

/// FNV-1a: values are at most 128 bytes and the table is small; a probe
/// sequence is bounded by the capacity whatever the input.
#[inline]
fn hash(value: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in value.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(all(test, tally_loom))]
mod loom_tests {
    //! Admission races, model-checked:
    //! `RUSTFLAGS="--cfg tally_loom" cargo test -p metrics-core --lib --release loom`.

    use super::*;
    use loom::sync::Arc;

    /// Two threads resolve the same new value while a third resolves
    /// another: both get the same ordinal, the values get distinct
    /// ordinals, and every ordinal reads back its own name.
    #[test]
    fn loom_admission_gives_each_value_one_ordinal() {
        loom::model(|| {
            let table = Arc::new(DynamicValues::leaked("t", 2));
            let spawn = |v: &'static str| {
                let table = table.clone();
                loom::thread::spawn(move || {
                    let o = table.resolve(v);
                    assert_eq!(table.value(o), Some(v));
                    o
                })
            };
            let a1 = spawn("a");
            let b = spawn("b");
            let a2 = table.resolve("a");
            let (a1, b) = (a1.join().unwrap(), b.join().unwrap());
            assert_eq!(a1, a2);
            assert_ne!(a1, b);
            assert!(a1 < 2 && b < 2);
            assert_eq!(table.len(), 2);
            assert_eq!(table.lookup("a"), Some(a1));
            assert_eq!(table.lookup("b"), Some(b));
        });
    }

    /// A value racing for the last free ordinal: exactly one wins, the
    /// other goes to the overflow ordinal and is counted.
    #[test]
    fn loom_last_slot_goes_to_exactly_one_value() {
        loom::model(|| {
            let table = Arc::new(DynamicValues::leaked("t", 1));
            let t2 = table.clone();
            let other = loom::thread::spawn(move || t2.resolve("x"));
            let mine = table.resolve("y");
            let other = other.join().unwrap();
            let mut got = [mine, other];
            got.sort();
            assert_eq!(got, [0, 1]);
            assert_eq!(table.rejected(Rejection::Full), 1);
            assert!(table.is_present(1));
        });
    }
}
