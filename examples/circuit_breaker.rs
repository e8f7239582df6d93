//! A three-state circuit breaker instrumented with tally: its current
//! state as an enum-labelled gauge (the Prometheus "state set" idiom),
//! counters for trips, rejected calls, probe outcomes and stale results.
//!
//! ```sh
//! cargo run --release --example circuit_breaker                        # until Ctrl-C
//! cargo run --release --example circuit_breaker -- --serve 127.0.0.1:9464
//! cargo run --example circuit_breaker -- --duration 2s --speed 10      # 20 simulated seconds
//! cargo test --example circuit_breaker                                  # the state machine's tests
//! ```
//!
//! The breaker ([`Breaker`]) is a small explicit state machine behind a
//! mutex:
//! - **closed**: calls pass; once at least `min_requests` calls were made
//!   in the current interval and the failure ratio reaches
//!   `failure_ratio`, it trips to open;
//! - **open**: calls are rejected at once; after `open_timeout` it moves
//!   to half-open;
//! - **half-open**: at most `max_probes` calls are let through; that many
//!   successes close it, one failure opens it again.
//!
//! Every state change starts a new *generation*. A call carries the
//! generation it was admitted in; its result is discarded (and counted in
//! `breaker_stale_results_total`) if the breaker moved on while it ran, so
//! a slow success from before a trip cannot close the breaker, and a slow
//! failure cannot count against the next interval.
//!
//! The dependency is simulated, deterministically: a seeded RNG, calls
//! that take 20-80 ms of simulated time, and a health cycle of 10 s
//! (healthy, an outage from 3 s to 6 s, healthy again). Simulated time is
//! paced to the wall clock (`--speed` times faster), so with `--serve`
//! Prometheus sees the state move. Transitions are printed as they
//! happen, then one `summary:` line.
//!
//! In PromQL, the current state is `breaker_state == 1`, and time spent
//! open is `avg_over_time(breaker_state{state="open"}[1h])`.

// Built as a test target too (`cargo test --example circuit_breaker`),
// where `main` and the simulation are unused.
#![cfg_attr(test, allow(dead_code))]

use std::collections::BinaryHeap;
use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tally::{Counter, Gauge, LabelValue, Metrics, Registry};

// ---------------------------------------------------------------------
// The metrics.
// ---------------------------------------------------------------------

/// The breaker's state: a label, so the state gauge has one series per
/// state (`state="closed"`, `"open"`, `"half_open"`).
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
#[label(name = "state")]
enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    const ALL: [BreakerState; 3] = [
        BreakerState::Closed,
        BreakerState::Open,
        BreakerState::HalfOpen,
    ];

    fn name(self) -> &'static str {
        Self::VALUES[self.ordinal()]
    }
}

/// Why a call was refused without reaching the dependency.
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
#[label(name = "reason")]
enum Rejected {
    /// The breaker is open.
    Open,
    /// The breaker is half-open and its probes are all taken.
    TooManyProbes,
}

/// How a half-open probe call ended.
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
#[label(name = "outcome")]
enum ProbeOutcome {
    Success,
    Failure,
}

/// How a call that reached the dependency ended.
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
#[label(name = "outcome")]
enum CallOutcome {
    Success,
    Failure,
}

/// A breaker's metrics, exposed as `breaker_state`, `breaker_trips_total`,
/// `breaker_rejected_total`, `breaker_probes_total`, `breaker_calls_total`
/// and `breaker_stale_results_total`.
#[derive(Metrics)]
#[metrics(prefix = "breaker")]
struct BreakerStats {
    /// 1 for the breaker's current state, 0 for the others.
    state: Gauge<BreakerState>,
    /// Times the breaker opened.
    trips: Counter,
    /// Calls refused without reaching the dependency, by reason.
    rejected: Counter<Rejected>,
    /// Half-open probe calls, by outcome.
    probes: Counter<ProbeOutcome>,
    /// Calls that reached the dependency, by outcome (probes included).
    calls: Counter<CallOutcome>,
    /// Call results discarded because the breaker changed state (or
    /// started a new counting interval) while the call ran.
    stale_results: Counter,
}

impl BreakerStats {
    /// Sets the state gauge: 1 for `state`, 0 for the others.
    fn set_state(&self, state: BreakerState) {
        for s in BreakerState::ALL {
            self.state.with(s).set(i64::from(s == state));
        }
    }
}

// ---------------------------------------------------------------------
// The breaker: a state machine behind one mutex. Time is a parameter, so
// the tests (and the simulation) drive it with their own clock.
// ---------------------------------------------------------------------

/// When the breaker trips and how it recovers.
#[derive(Clone, Copy, Debug)]
struct Config {
    /// Trip when failures / requests reaches this, in the current interval...
    failure_ratio: f64,
    /// ...once at least this many requests were made in it.
    min_requests: u32,
    /// How long closed-state counts accumulate before they are reset.
    interval: Duration,
    /// How long the breaker stays open before probing.
    open_timeout: Duration,
    /// Probes admitted in half-open; that many successes close the breaker.
    max_probes: u32,
}

/// A state change, for logging.
#[derive(Clone, Debug, PartialEq)]
struct Transition {
    from: BreakerState,
    to: BreakerState,
    at: Instant,
    why: String,
}

/// Admission to make one call: pass it back to [`Breaker::record`].
#[derive(Clone, Copy, Debug)]
#[must_use = "record the call's result with Breaker::record"]
struct Ticket {
    generation: u64,
    probe: bool,
}

struct Inner {
    state: BreakerState,
    generation: u64,
    /// Closed: when the counts reset. Open: when probing starts.
    expiry: Instant,
    requests: u32,
    failures: u32,
    /// Half-open: probes admitted and probes succeeded.
    probes: u32,
    probe_successes: u32,
    transitions: Vec<Transition>,
}

/// A circuit breaker publishing its state into [`BreakerStats`].
struct Breaker {
    config: Config,
    stats: Arc<BreakerStats>,
    inner: Mutex<Inner>,
}

impl Breaker {
    fn new(config: Config, stats: Arc<BreakerStats>, now: Instant) -> Breaker {
        stats.set_state(BreakerState::Closed);
        Breaker {
            config,
            stats,
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                generation: 0,
                expiry: now + config.interval,
                requests: 0,
                failures: 0,
                probes: 0,
                probe_successes: 0,
                transitions: Vec::new(),
            }),
        }
    }

    /// Asks to make a call at `now`.
    fn try_acquire(&self, now: Instant) -> Result<Ticket, Rejected> {
        let mut inner = self.lock(now);
        let rejected = match inner.state {
            BreakerState::Closed => {
                inner.requests += 1;
                return Ok(Ticket {
                    generation: inner.generation,
                    probe: false,
                });
            }
            BreakerState::HalfOpen if inner.probes < self.config.max_probes => {
                inner.probes += 1;
                return Ok(Ticket {
                    generation: inner.generation,
                    probe: true,
                });
            }
            BreakerState::HalfOpen => Rejected::TooManyProbes,
            BreakerState::Open => Rejected::Open,
        };
        self.stats.rejected.with(rejected).inc();
        Err(rejected)
    }

    /// Records how an admitted call ended, at `now`.
    fn record(&self, ticket: Ticket, success: bool, now: Instant) {
        let outcome = if success {
            CallOutcome::Success
        } else {
            CallOutcome::Failure
        };
        self.stats.calls.with(outcome).inc();
        let mut inner = self.lock(now);
        if ticket.generation != inner.generation {
            self.stats.stale_results.inc();
            return;
        }
        // Within a generation, the half-open state admits only probes.
        debug_assert_eq!(ticket.probe, inner.state == BreakerState::HalfOpen);
        match (inner.state, success) {
            (BreakerState::Closed, true) => {}
            (BreakerState::Closed, false) => {
                inner.failures += 1;
                let ratio = f64::from(inner.failures) / f64::from(inner.requests);
                if inner.requests >= self.config.min_requests && ratio >= self.config.failure_ratio
                {
                    let why = format!(
                        "{} of {} calls failed ({:.0}%)",
                        inner.failures,
                        inner.requests,
                        ratio * 100.0
                    );
                    self.set_state(&mut inner, BreakerState::Open, now, why);
                }
            }
            (BreakerState::HalfOpen, true) => {
                self.stats.probes.with(ProbeOutcome::Success).inc();
                inner.probe_successes += 1;
                if inner.probe_successes >= self.config.max_probes {
                    let why = format!("{} probes succeeded", inner.probe_successes);
                    self.set_state(&mut inner, BreakerState::Closed, now, why);
                }
            }
            (BreakerState::HalfOpen, false) => {
                self.stats.probes.with(ProbeOutcome::Failure).inc();
                self.set_state(&mut inner, BreakerState::Open, now, "a probe failed".into());
            }
            // Nothing is admitted while open, so no current-generation
            // result can arrive in it.
            (BreakerState::Open, _) => unreachable!("a call admitted while open"),
        }
    }

    /// The state at `now`.
    fn state(&self, now: Instant) -> BreakerState {
        self.lock(now).state
    }

    /// The transitions since the last call.
    fn take_transitions(&self, now: Instant) -> Vec<Transition> {
        std::mem::take(&mut self.lock(now).transitions)
    }

    /// Locks the state, first applying what time alone changes: the
    /// closed interval's reset and the open timeout.
    fn lock(&self, now: Instant) -> std::sync::MutexGuard<'_, Inner> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match inner.state {
            BreakerState::Closed if now >= inner.expiry => {
                // A new interval: same state, fresh counts, new generation.
                let state = inner.state;
                self.start_generation(&mut inner, state, now);
            }
            BreakerState::Open if now >= inner.expiry => {
                let why = format!("open for {:?}", self.config.open_timeout);
                self.set_state(&mut inner, BreakerState::HalfOpen, now, why);
            }
            _ => {}
        }
        inner
    }

    fn set_state(&self, inner: &mut Inner, to: BreakerState, now: Instant, why: String) {
        let from = inner.state;
        if to == BreakerState::Open {
            self.stats.trips.inc();
        }
        self.stats.set_state(to);
        inner.transitions.push(Transition {
            from,
            to,
            at: now,
            why,
        });
        self.start_generation(inner, to, now);
    }

    fn start_generation(&self, inner: &mut Inner, state: BreakerState, now: Instant) {
        inner.state = state;
        inner.generation += 1;
        inner.requests = 0;
        inner.failures = 0;
        inner.probes = 0;
        inner.probe_successes = 0;
        inner.expiry = match state {
            BreakerState::Closed => now + self.config.interval,
            BreakerState::Open => now + self.config.open_timeout,
            // Half-open lasts until the probes decide.
            BreakerState::HalfOpen => now,
        };
    }
}

// ---------------------------------------------------------------------
// The simulation: a flaky dependency on a simulated clock.
// ---------------------------------------------------------------------

/// One call in flight: when it completes and how.
#[derive(PartialEq, Eq)]
struct InFlight {
    done_at: Duration,
    success: bool,
    generation: u64,
    probe: bool,
}

impl Ord for InFlight {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Earliest completion first out of the max-heap.
        other.done_at.cmp(&self.done_at)
    }
}

impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The dependency's failure probability at simulated time `t`.
fn failure_probability(t: Duration) -> f64 {
    match t.as_millis() % 10_000 {
        3_000..6_000 => 0.8,
        _ => 0.02,
    }
}

struct Args {
    duration: Option<Duration>,
    speed: u32,
    seed: u64,
    serve: Option<String>,
}

const USAGE: &str =
    "usage: circuit_breaker [--duration 20s] [--speed 1] [--seed 42] [--serve 127.0.0.1:9464]";

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut parsed = Args {
            duration: None,
            speed: 1,
            seed: 42,
            serve: None,
        };
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--duration" => parsed.duration = Some(parse_duration(&value()?)?),
                "--speed" => {
                    parsed.speed = value()?
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or("--speed needs a positive integer")?
                }
                "--seed" => parsed.seed = value()?.parse().map_err(|_| "--seed needs a number")?,
                "--serve" => parsed.serve = Some(value()?),
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(parsed)
    }
}

/// `500ms`, `5s`, `2m`, `1h`, or plain seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("bad duration {s:?}"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" | "min" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("bad duration {s:?} (use ms, s, m or h)")),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return Ok(());
        }
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let stats = BreakerStats::register(Registry::global())?;
    let config = Config {
        failure_ratio: 0.5,
        min_requests: 20,
        interval: Duration::from_secs(1),
        open_timeout: Duration::from_millis(500),
        max_probes: 3,
    };
    println!("{config:?}");
    println!("dependency: 2% failures, 80% from 3 s to 6 s of every 10 s; 200 calls/s of 20-80 ms");

    // Simulated time starts at `epoch`; `wall` paces it to the real clock.
    let epoch = Instant::now();
    let wall = Instant::now();
    let simulated = args.duration.map(|d| d * args.speed);
    let breaker = Breaker::new(config, stats.clone(), epoch);
    // Serve once the breaker has published its state, so the first scrape
    // already shows exactly one current state.
    let _server = match &args.serve {
        Some(addr) => {
            let server = tally::serve(addr.as_str())?;
            println!("metrics at http://{}/metrics", server.local_addr());
            Some(server)
        }
        None => None,
    };
    let mut rng = SmallRng::seed_from_u64(args.seed);
    let mut in_flight = BinaryHeap::new();
    let step = Duration::from_millis(5);
    let mut t = Duration::ZERO;
    while simulated.is_none_or(|end| t < end) {
        // Complete the calls due by `t`, earliest first.
        while in_flight.peek().is_some_and(|c: &InFlight| c.done_at <= t) {
            let call = in_flight.pop().unwrap();
            let ticket = Ticket {
                generation: call.generation,
                probe: call.probe,
            };
            breaker.record(ticket, call.success, epoch + call.done_at);
        }
        // One new call per step.
        if let Ok(ticket) = breaker.try_acquire(epoch + t) {
            in_flight.push(InFlight {
                done_at: t + Duration::from_millis(rng.random_range(20..=80)),
                success: !rng.random_bool(failure_probability(t)),
                generation: ticket.generation,
                probe: ticket.probe,
            });
        }
        for tr in breaker.take_transitions(epoch + t) {
            println!(
                "[{:>7.3}s] {:>9} -> {:<9} {}",
                tr.at.duration_since(epoch).as_secs_f64(),
                tr.from.name(),
                tr.to.name(),
                tr.why
            );
        }
        t += step;
        // Pace to the wall clock (the results do not depend on it).
        let due = wall + t / args.speed;
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
    println!(
        "summary: {:.1}s simulated; calls: {} ok, {} failed; rejected: {} open, {} too_many_probes; trips {}; probes: {} ok, {} failed; stale {}; state {}",
        t.as_secs_f64(),
        stats.calls.with(CallOutcome::Success).get(),
        stats.calls.with(CallOutcome::Failure).get(),
        stats.rejected.with(Rejected::Open).get(),
        stats.rejected.with(Rejected::TooManyProbes).get(),
        stats.trips.get(),
        stats.probes.with(ProbeOutcome::Success).get(),
        stats.probes.with(ProbeOutcome::Failure).get(),
        stats.stale_results.get(),
        breaker.state(epoch + t).name(),
    );
    Ok(())
}

// ---------------------------------------------------------------------
// The state machine's tests: `cargo test --example circuit_breaker` (the
// example is a test target, so the workspace's test run includes them).
// ---------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: Config = Config {
        failure_ratio: 0.5,
        min_requests: 4,
        interval: Duration::from_secs(10),
        open_timeout: Duration::from_secs(1),
        max_probes: 2,
    };

    fn breaker() -> (Breaker, Arc<BreakerStats>, Instant) {
        let stats = Arc::new(BreakerStats::new());
        let now = Instant::now();
        (Breaker::new(CONFIG, stats.clone(), now), stats, now)
    }

    /// Makes one call at `now` and records `success` right away.
    fn call(b: &Breaker, now: Instant, success: bool) -> Result<(), Rejected> {
        let ticket = b.try_acquire(now)?;
        b.record(ticket, success, now);
        Ok(())
    }

    fn state_gauge(stats: &BreakerStats) -> [i64; 3] {
        BreakerState::ALL.map(|s| stats.state.with(s).get())
    }

    /// Trips a closed breaker: failures at `now` until it opens.
    fn trip(b: &Breaker, now: Instant) {
        for _ in 0..CONFIG.min_requests {
            if b.state(now) == BreakerState::Open {
                return;
            }
            call(b, now, false).unwrap();
        }
        assert_eq!(b.state(now), BreakerState::Open);
    }

    #[test]
    fn stays_closed_below_the_minimum_request_count() {
        let (b, stats, now) = breaker();
        for _ in 0..3 {
            call(&b, now, false).unwrap();
        }
        assert_eq!(b.state(now), BreakerState::Closed);
        assert_eq!(stats.trips.get(), 0);
        assert_eq!(state_gauge(&stats), [1, 0, 0]);
    }

    #[test]
    fn trips_on_the_failure_ratio_and_rejects_while_open() {
        let (b, stats, now) = breaker();
        call(&b, now, true).unwrap();
        call(&b, now, true).unwrap();
        call(&b, now, false).unwrap();
        assert_eq!(
            b.state(now),
            BreakerState::Closed,
            "1 of 3: below the minimum"
        );
        call(&b, now, false).unwrap();
        assert_eq!(b.state(now), BreakerState::Open, "2 of 4 failed: 50%");
        assert_eq!(stats.trips.get(), 1);
        assert_eq!(state_gauge(&stats), [0, 1, 0]);
        assert_eq!(call(&b, now, true), Err(Rejected::Open));
        assert_eq!(stats.rejected.with(Rejected::Open).get(), 1);
        let transitions = b.take_transitions(now);
        assert_eq!(transitions.len(), 1);
        assert_eq!(
            (transitions[0].from, transitions[0].to),
            (BreakerState::Closed, BreakerState::Open)
        );
    }

    #[test]
    fn counts_reset_every_interval() {
        let (b, _, now) = breaker();
        for _ in 0..3 {
            call(&b, now, false).unwrap();
        }
        let later = now + CONFIG.interval;
        call(&b, later, false).unwrap();
        assert_eq!(
            b.state(later),
            BreakerState::Closed,
            "a new interval: 1 of 1"
        );
    }

    #[test]
    fn half_open_admits_a_bounded_number_of_probes() {
        let (b, stats, now) = breaker();
        trip(&b, now);
        let later = now + CONFIG.open_timeout;
        assert_eq!(b.state(later), BreakerState::HalfOpen);
        assert_eq!(state_gauge(&stats), [0, 0, 1]);
        let first = b.try_acquire(later).unwrap();
        let second = b.try_acquire(later).unwrap();
        assert!(first.probe && second.probe);
        assert_eq!(b.try_acquire(later).unwrap_err(), Rejected::TooManyProbes);
        assert_eq!(stats.rejected.with(Rejected::TooManyProbes).get(), 1);
        b.record(first, true, later);
        assert_eq!(b.state(later), BreakerState::HalfOpen, "one probe of two");
        b.record(second, true, later);
        assert_eq!(b.state(later), BreakerState::Closed);
        assert_eq!(stats.probes.with(ProbeOutcome::Success).get(), 2);
        assert_eq!(state_gauge(&stats), [1, 0, 0]);
    }

    #[test]
    fn concurrent_callers_never_get_more_probes_than_allowed() {
        let (b, stats, now) = breaker();
        trip(&b, now);
        let later = now + CONFIG.open_timeout;
        let admitted = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..100 {
                        if b.try_acquire(later).is_ok() {
                            admitted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(admitted.into_inner(), CONFIG.max_probes);
        assert_eq!(
            stats.rejected.with(Rejected::TooManyProbes).get(),
            800 - u64::from(CONFIG.max_probes)
        );
    }

    #[test]
    fn a_failed_probe_opens_again() {
        let (b, stats, now) = breaker();
        trip(&b, now);
        let later = now + CONFIG.open_timeout;
        call(&b, later, false).unwrap();
        assert_eq!(b.state(later), BreakerState::Open);
        assert_eq!(stats.trips.get(), 2);
        assert_eq!(stats.probes.with(ProbeOutcome::Failure).get(), 1);
        let states: Vec<_> = b
            .take_transitions(later)
            .iter()
            .map(|t| t.to.name())
            .collect();
        assert_eq!(states, ["open", "half_open", "open"]);
    }

    #[test]
    fn results_from_an_older_generation_are_discarded() {
        let (b, stats, now) = breaker();
        // A slow call admitted while closed...
        let slow = b.try_acquire(now).unwrap();
        trip(&b, now);
        let later = now + CONFIG.open_timeout;
        let probe = b.try_acquire(later).unwrap();
        // ...succeeds during half-open: it must not count as a probe.
        b.record(slow, true, later);
        assert_eq!(stats.stale_results.get(), 1);
        assert_eq!(stats.probes.with(ProbeOutcome::Success).get(), 0);
        b.record(probe, true, later);
        assert_eq!(b.state(later), BreakerState::HalfOpen, "one probe of two");
        // A late failure from before the trip cannot reopen it either.
        let stale_failure = Ticket {
            generation: 0,
            probe: false,
        };
        b.record(stale_failure, false, later);
        assert_eq!(b.state(later), BreakerState::HalfOpen);
        assert_eq!(stats.stale_results.get(), 2);
    }
}
