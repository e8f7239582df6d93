//! The calls' clock: `quanta` (the TSC where it is invariant, else the OS
//! monotonic clock), read inline, its ticks scaled to nanoseconds by one
//! multiplication.

use std::sync::OnceLock;

/// The calls' clock. Copied into each function's series when it joins
/// (so a call reads it from the function's own `static`, beside its
/// counters), after [`Clock::get`] set it up.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    /// Whether `quanta`'s raw reading is the TSC: then a call reads it
    /// inline (one instruction, no call into `quanta`).
    tsc: bool,
    /// Nanoseconds per tick, times 2^32. `quanta` scales a tick count
    /// `d` as `d * f >> s`, with `s` the bits of the TSC ticks its
    /// calibration spanned (at most ~200 ms: `s <= 32` below about
    /// 20 GHz); then `quanta`'s `delta_as_nanos(0, 2^32)` is exactly
    /// `f << (32 - s)`, and [`nanos`](Clock::nanos) (`d * scale >> 32`,
    /// one multiplication) equals its `delta_as_nanos`. (Past 20 GHz,
    /// within 1 ns per 2^32 ticks.) For the OS clock, whose ticks are
    /// nanoseconds, it is 2^32.
    scale: u64,
}

/// `quanta`'s clock, set up once (it calibrates the TSC against the OS
/// clock) by the first function to join.
static QUANTA: OnceLock<quanta::Clock> = OnceLock::new();

impl Clock {
    /// The clock, set up on the first call (cold: each function asks once,
    /// when it joins).
    #[cold]
    pub(crate) fn get() -> Clock {
        static CLOCK: OnceLock<Clock> = OnceLock::new();
        *CLOCK.get_or_init(|| {
            let quanta = quanta();
            Clock {
                tsc: reads_tsc(quanta),
                scale: quanta.delta_as_nanos(0, 1 << 32),
            }
        })
    }

    /// Whether the raw reading is the TSC.
    #[inline(always)]
    pub(crate) fn tsc(self) -> bool {
        self.tsc
    }

    /// The clock's raw reading (ticks), `tsc` being [`Clock::tsc`]: a
    /// call reads it once, at its start, and passes it to both readings,
    /// so where the start took the inline TSC path the end knows it will.
    #[inline(always)]
    pub(crate) fn now(tsc: bool) -> u64 {
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        if tsc {
            return rdtsc();
        }
        #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
        let _ = tsc;
        now_cold()
    }

    /// Nanoseconds between two raw readings (0 if `end` is not after
    /// `start`, as `quanta` says: the TSCs of two cores may disagree).
    #[inline(always)]
    pub(crate) fn nanos(self, start: u64, end: u64) -> u64 {
        match end.checked_sub(start) {
            Some(ticks) => ((u128::from(ticks) * u128::from(self.scale)) >> 32) as u64,
            None => backwards(),
        }
    }
}

/// The 0 nanoseconds of a reading before its start: a branch taken
/// (almost) never, not a select computed on every call.
#[cold]
#[inline(never)]
fn backwards() -> u64 {
    0
}

fn quanta() -> &'static quanta::Clock {
    QUANTA.get_or_init(quanta::Clock::new)
}

/// Whether `clock`'s raw reading is the TSC: it falls between two TSC
/// reads around it, twice (the OS clock counts nanoseconds since boot,
/// the TSC cycles since reset at well over one per nanosecond).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn reads_tsc(clock: &quanta::Clock) -> bool {
    (0..2).all(|_| {
        let before = rdtsc();
        let raw = clock.raw();
        let after = rdtsc();
        before <= raw && raw <= after
    })
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn reads_tsc(_: &quanta::Clock) -> bool {
    false
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` exists on every x86_64 CPU and only reads a counter.
    #[allow(unused_unsafe)]
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
}

/// `quanta`'s reading where it is not the TSC read inline.
#[cold]
#[inline(never)]
fn now_cold() -> u64 {
    quanta().raw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanos_are_quantas() {
        let clock = Clock::get();
        let quanta = quanta();
        let start = Clock::now(clock.tsc());
        let mut end = start;
        for step in [
            0,
            1,
            2,
            3,
            1_000,
            65_537,
            1 << 20,
            123_456_789,
            1 << 32,
            1 << 40,
        ] {
            end = end.max(start.wrapping_add(step));
            assert_eq!(
                clock.nanos(start, end),
                quanta.delta_as_nanos(start, end),
                "{step} ticks"
            );
        }
        let later = Clock::now(clock.tsc());
        assert_eq!(
            clock.nanos(start, later),
            quanta.delta_as_nanos(start, later)
        );
        assert_eq!(clock.nanos(later, start), 0);
        assert_eq!(clock.nanos(start, start), 0);
    }

    #[test]
    fn off_the_tsc_path_the_reading_is_quantas() {
        // What a call reads where the clock is not the TSC (or before a
        // function knows it is): `quanta`'s raw reading, scaled alike.
        let clock = Clock::get();
        let quanta = quanta();
        let start = Clock::now(false);
        std::thread::sleep(std::time::Duration::from_millis(1));
        let end = Clock::now(false);
        let nanos = clock.nanos(start, end);
        assert_eq!(nanos, quanta.delta_as_nanos(start, end));
        assert!(nanos >= 1_000_000, "{nanos} ns");
    }
}
