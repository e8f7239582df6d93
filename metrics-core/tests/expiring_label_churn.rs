//! A month of churn through a label whose values expire, on a manual
//! clock: 1,000,000 distinct values over 30 simulated days, capacity 64,
//! idle time 1 h, an export every simulated minute. Each day has four
//! quiet hours (a value every two minutes) and twenty busy ones (the
//! rest). Asserts that a new value goes to the overflow value exactly
//! when 64 admitted values are still within their idle time (plus the
//! export that must see their last write), and that memory stays flat:
//! the heap bytes in use (a counting allocator, this binary's own) are
//! sampled after each simulated day and printed with RssAnon.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tally_core::__test_hooks::{rss_anon_bytes, CountingAlloc};
use tally_core::dynamic_label::Rejection;
use tally_core::{dynamic_label, Counter, Desc, ManualClock, Registry};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

dynamic_label!(User, name = "user", capacity = 64, idle_secs = 3600);

#[test]
fn a_million_values_over_thirty_days_keep_memory_flat() {
    const DAYS: u64 = 30;
    const TOTAL: u64 = 1_000_000;
    const MINUTE: u64 = 60_000_000_000;
    const IDLE_MINUTES: u64 = 60;
    let started = Instant::now();
    let clock = ManualClock::new();
    User::table().set_clock(Arc::new(clock.clone()));
    let registry = Registry::new();
    let hits = registry
        .register(Desc::new("hits_total", "h"), Counter::<User>::new())
        .unwrap();
    let quiet_per_day = 4 * 60 / 2;
    // A hair over, so rounding never leaves values for after day 30.
    let busy_per_minute = (TOTAL / DAYS - quiet_per_day) as f64 / (20.0 * 60.0) + 0.001;
    // The minute of the last write of each admitted value not yet past its
    // idle time, oldest first: the model of which values hold a slot.
    let mut live: VecDeque<u64> = VecDeque::new();
    let (mut id, mut owed, mut overflowed, mut max_live) = (0u64, 0.0f64, 0u64, 0usize);
    let mut samples: Vec<(u64, i64, u64)> = Vec::new();
    for minute in 0..DAYS * 24 * 60 {
        let hour = (minute / 60) % 24;
        let arrivals = if hour < 4 {
            u64::from(minute % 2 == 0)
        } else {
            owed += busy_per_minute;
            let n = owed as u64;
            owed -= n as f64;
            n
        };
        for j in 0..arrivals.min(TOTAL - id) {
            let now = minute * MINUTE + (j + 1) * (MINUTE / 64);
            clock.set_nanos(now);
            // A value written in minute w may be evicted once the export
            // at the end of minute w, one more, and the idle time passed.
            while live
                .front()
                .is_some_and(|&w| (w + 1 + IDLE_MINUTES) * MINUTE <= now)
            {
                live.pop_front();
            }
            let user = User::admit(&format!("user-{id}"));
            id += 1;
            hits.with(user).add(2);
            assert_eq!(
                user.is_overflow(),
                live.len() >= 64,
                "minute {minute}: {} values within their idle time",
                live.len()
            );
            if user.is_overflow() {
                overflowed += 1;
            } else {
                live.push_back(minute);
                max_live = max_live.max(live.len());
            }
        }
        clock.set_nanos((minute + 1) * MINUTE);
        let snapshot = registry.snapshot();
        drop(snapshot);
        if (minute + 1) % (24 * 60) == 0 {
            samples.push((
                (minute + 1) / (24 * 60),
                CountingAlloc::live(),
                rss_anon_bytes().unwrap_or(0) / 1024,
            ));
        }
    }
    assert_eq!(id, TOTAL);
    eprintln!("day  heap bytes in use  RssAnon kB");
    for (day, heap, rss) in &samples {
        eprintln!("{day:>3}  {heap:>17}  {rss:>10}");
    }
    let evicted = User::table().evicted();
    eprintln!(
        "{TOTAL} values: {evicted} evicted, {overflowed} overflowed, max live {max_live}, {:?}",
        started.elapsed()
    );
    assert_eq!(User::table().rejected(Rejection::Full), overflowed);
    assert!(evicted > 10_000 && overflowed > 0);
    let first = samples[0].1;
    for &(day, heap, _) in &samples[1..] {
        assert!(
            heap <= first + 64 * 1024,
            "day {day}: {heap} heap bytes in use, day 1 had {first}"
        );
    }
    let _ = Duration::ZERO;
}
