//! One instrumented function's state and the guard of one call.

use std::mem::ManuallyDrop;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::OnceLock;

use crate::counter::Counter;
use crate::histogram::{Histogram, HistogramConfig};
use crate::label::LabelValue;

use super::clock::Clock;
use super::objective::Objective;
use super::outcome::{Outcome, Verdict};

/// Error kinds an instrumented function counts apart: the first 15
/// variants of its error type, the rest together as `other`.
pub(crate) const KIND_SLOTS: usize = 16;

/// One instrumented function: its constant name and objective, and its
/// series, allocated on its first call. The attribute declares one in a
/// `static` inside the function's body.
pub struct Function {
    pub(crate) name: &'static str,
    pub(crate) module: &'static str,
    pub(crate) objective: Option<Objective>,
    pub(crate) state: OnceLock<State>,
    /// `state`'s value once it is set up, where calls read the TSC; null
    /// before, and always where they do not. One load and branch tells a
    /// call both (the rest goes out of line).
    tsc_state: AtomicPtr<State>,
}

/// The series of one function.
pub(crate) struct State {
    pub(crate) calls: Counter<Outcome>,
    pub(crate) errors: Counter<KindSlot>,
    /// Local error-kind slot -> ordinal in the shared `error_kind` label,
    /// set on the first error with a kind.
    pub(crate) kinds: OnceLock<KindMap>,
    pub(crate) latency: Histogram,
    /// Calls started: in flight = started - ended (`calls`), two sharded
    /// counters where a gauge would be one contended atomic, up and down.
    pub(crate) started: Counter,
    /// The calls' clock (the same for every function).
    pub(crate) clock: Clock,
}

impl Function {
    /// The function `name` (its `function` label unless another
    /// instrumented function took it: then `module::name`) declared in
    /// `module` (`module_path!()`), with an optional objective.
    pub const fn new(
        name: &'static str,
        module: &'static str,
        objective: Option<Objective>,
    ) -> Function {
        Function {
            name,
            module,
            objective,
            state: OnceLock::new(),
            tsc_state: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Starts one call: counts it started (in flight until it ends) and
    /// starts its clock. The returned guard records the call when
    /// finished or dropped.
    #[inline(always)]
    pub fn start(&'static self) -> Call {
        let tsc_state = self.tsc_state.load(Ordering::Acquire);
        let (state, tsc) = if tsc_state.is_null() {
            self.start_cold()
        } else {
            // SAFETY: `join` sets the pointer to `self.state`'s value,
            // set up (Release, read Acquire) and never replaced: it lives
            // as long as `self`, `'static`.
            let state = unsafe { &*tsc_state };
            state.started.inc();
            (state, true)
        };
        Call {
            state,
            tsc,
            start: Clock::now(tsc),
        }
    }

    /// [`start`](Function::start) up to the clock read, on a first call
    /// (the function joins) or where the clock is not the TSC: the series,
    /// and whether the clock is the TSC.
    #[cold]
    #[inline(never)]
    fn start_cold(&'static self) -> (&'static State, bool) {
        let state = match self.state.get() {
            Some(state) => state,
            None => self.join(),
        };
        state.started.inc();
        (state, state.clock.tsc())
    }

    /// Allocates the series and adds the function to the shared families
    /// (once).
    #[cold]
    fn join(&'static self) -> &'static State {
        let state = self.state.get_or_init(|| {
            self.join_list();
            State {
                calls: Counter::new(),
                errors: Counter::new(),
                kinds: OnceLock::new(),
                latency: Histogram::with_config(
                    HistogramConfig::seconds().with_classic_buckets(super::LATENCY_BUCKETS),
                )
                .expect("the latency configuration is valid"),
                started: Counter::new(),
                clock: Clock::get(),
            }
        });
        Function::export_globally();
        if state.clock.tsc() {
            let state: *const State = state;
            self.tsc_state.store(state.cast_mut(), Ordering::Release);
        }
        state
    }
}

/// One call in progress. [`finish`](Call::finish) records how it ended;
/// dropped unfinished (a future cancelled, or a panic unwinding), it
/// records the call as `cancelled` or `panicked`. Either way its latency
/// is recorded and it is no longer in flight.
pub struct Call {
    state: &'static State,
    /// Whether `start` is a TSC reading: the end reads the same clock,
    /// and where the start read the TSC inline the compiler knows it.
    tsc: bool,
    /// Raw clock ticks (the TSC where it is invariant).
    start: u64,
}

impl Call {
    /// Records the call as ended with `verdict`. Inline: the verdict is a
    /// constant in each branch of the caller's match on its return value,
    /// so only the outcome's own work remains.
    #[inline(always)]
    pub fn finish(self, verdict: Verdict) {
        // Finished: the guard's drop (cancelled, panicked) must not run.
        let this = ManuallyDrop::new(self);
        let state = this.state;
        state.record(this.elapsed(), || match verdict {
            Verdict::Ok => Outcome::Ok,
            Verdict::Error => Outcome::Error,
            Verdict::ErrorKind(ordinal, values) => {
                state.error_kind(ordinal, values);
                Outcome::Error
            }
        });
    }

    /// Nanoseconds since the call started.
    #[inline(always)]
    fn elapsed(&self) -> u64 {
        let end = Clock::now(self.tsc);
        self.state.clock.nanos(self.start, end)
    }
}

impl Drop for Call {
    #[inline(never)]
    fn drop(&mut self) {
        // Only an unfinished call: `finish` does not drop its guard.
        let outcome = if std::thread::panicking() {
            Outcome::Panicked
        } else {
            Outcome::Cancelled
        };
        self.state.record(self.elapsed(), || outcome);
    }
}

impl State {
    /// Records a call's latency, then its outcome (`outcome` counts the
    /// error kind, if any: after the latency, so the latency's value need
    /// not be kept across it).
    #[inline(always)]
    fn record(&self, nanos: u64, outcome: impl FnOnce() -> Outcome) {
        // With `tracing`: inside a span, the span is the exemplar.
        #[cfg(feature = "tracing")]
        if let Some(ids) = crate::traced::Ids::current() {
            let (trace, span) = (ids.trace_id(), ids.span_id());
            self.latency
                .with(())
                .record_with_exemplar(nanos, trace, span);
            self.calls.with(outcome()).add_with_exemplar(1, trace, span);
            return;
        }
        self.latency.record(nanos);
        self.calls.with(outcome()).inc();
    }

    /// Counts an error of kind `ordinal` among `values`.
    #[inline(always)]
    fn error_kind(&self, ordinal: usize, values: &'static [&'static str]) {
        if self.kinds.get().is_none() {
            self.join_kinds(values);
        }
        let slot = ordinal.min(KIND_SLOTS - 1);
        self.errors.with(KindSlot(slot as u8)).inc();
    }

    /// Maps the error type's kinds into the shared label, on the first
    /// error with a kind.
    #[cold]
    #[inline(never)]
    fn join_kinds(&self, values: &'static [&'static str]) {
        self.kinds.get_or_init(|| Function::map_kinds(values));
    }
}

/// Where a function's error-kind slots land in the shared label.
pub(crate) struct KindMap {
    /// Local slot -> ordinal of the shared `error_kind` label.
    pub(crate) ordinals: [u8; KIND_SLOTS],
    /// Slots the error type uses.
    pub(crate) used: usize,
}

/// A function's local error-kind slot (the collector names it).
#[derive(Clone, Copy)]
pub(crate) struct KindSlot(u8);

#[diagnostic::do_not_recommend]
impl LabelValue for KindSlot {
    const NAME: &'static str = "error_kind";
    const VALUES: &'static [&'static str] = &[""; KIND_SLOTS];

    #[inline(always)]
    fn ordinal(&self) -> usize {
        self.0 as usize
    }

    fn from_ordinal(ordinal: usize) -> Option<Self> {
        (ordinal < KIND_SLOTS).then_some(KindSlot(ordinal as u8))
    }
}
