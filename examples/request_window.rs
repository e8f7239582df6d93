//! Requests per minute over the last five minutes, under concurrent load:
//! tally's windowed counters, with no rotation thread and no lost or
//! misplaced increments.
//!
//! ```sh
//! cargo run --release --example request_window                  # real minutes, until Ctrl-C
//! cargo run --release --example request_window -- --bucket 1s   # time compressed: a "minute" lasts 1 s
//! cargo run --example request_window -- --duration 3s --bucket 1s
//! ```
//!
//! Worker threads generate requests at rates that rise and fall; each
//! request increments a plain counter and two windowed counters (the last
//! 5 minutes in five 1-minute buckets, and the last minute in six
//! 10-second buckets). Every second the example prints the window totals
//! and a per-minute history read off the plain counter. The families are
//! registered in the global registry, so `--serve 127.0.0.1:9464` exposes
//! them too (`requests_last_5m` is a gauge: the window's total).
//!
//! Why no races: the usual rolling window (an array of buckets plus a
//! "current index" bumped by a ticker thread) races between the ticker's
//! rotate-and-zero and the writers' increments. Here each thread writes
//! its own shard, and a shard's ring is rotated by its writer, lazily, on
//! the first write of a new bucket; readers sum the shards' buckets that
//! are still inside the window. The final `summary:` line checks that the
//! 5-minute window holds exactly as many requests as were made (when the
//! run fits in the window).
//!
//! Flags: `--threads 4`, `--duration 10s` (default: until Ctrl-C),
//! `--bucket 1s` (the length of a "minute", for demos and tests),
//! `--idle 2s` (after the load stops, keep printing while the window
//! drains), `--serve ADDR` (also serve `/metrics`).

use std::collections::VecDeque;
use std::error::Error;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tally::{Counter, LabelValue, Metrics, Registry, Window, WindowedCounter};

/// What a request asked for: a bounded label.
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    Browse,
    Search,
    Checkout,
}

impl Endpoint {
    const ALL: [Endpoint; 3] = [Endpoint::Browse, Endpoint::Search, Endpoint::Checkout];
}

/// The service's request stats. The windows are part of the declaration;
/// `--bucket` builds the same struct with shorter windows instead.
#[derive(Metrics)]
#[metrics(prefix = "requests")]
struct RequestStats {
    /// Requests since start, by endpoint.
    served: Counter<Endpoint>,
    /// Requests in the last 5 minutes (five 1-minute buckets), by endpoint.
    #[metric(window = "5m", window_slots = 5)]
    last_5m: WindowedCounter<Endpoint>,
    /// Requests in the last minute (six 10-second buckets), by endpoint.
    #[metric(window = "1m", window_slots = 6)]
    last_1m: WindowedCounter<Endpoint>,
}

impl RequestStats {
    /// Registers the stats in the global registry: with the declared
    /// windows, or with every minute lasting `minute` instead.
    fn register_global(minute: Option<Duration>) -> Result<Arc<RequestStats>, Box<dyn Error>> {
        let Some(minute) = minute else {
            return Ok(RequestStats::register(Registry::global())?);
        };
        // The derive also implements `Collector`, so a hand-built instance
        // registers the same families (names, help) with its own windows.
        let stats = Arc::new(RequestStats {
            served: Counter::new(),
            last_5m: WindowedCounter::new(Window::new(minute * 5, 5)?),
            last_1m: WindowedCounter::new(Window::new(minute, 6)?),
        });
        Registry::global().register_collector(stats.clone())?;
        Ok(stats)
    }

    fn served(&self) -> u64 {
        Endpoint::ALL
            .iter()
            .map(|&e| self.served.with(e).get())
            .sum()
    }

    fn last_5m(&self) -> u64 {
        self.last_5m.values().iter().sum()
    }

    fn last_1m(&self) -> u64 {
        self.last_1m.values().iter().sum()
    }
}

/// One worker thread: requests at a rate that swings between 0.5x and
/// 2.5x `base` per second over a 5-minute cycle, phase-shifted a little
/// per thread (so the total swings too).
fn worker(stats: &RequestStats, id: usize, base: f64, minute: Duration, stop: &AtomicBool) {
    let mut rng = SmallRng::seed_from_u64(id as u64);
    let start = Instant::now();
    let cycle = minute.as_secs_f64() * 5.0;
    let mut owed = 0.0;
    let mut last = start;
    while !stop.load(Ordering::Relaxed) {
        thread::sleep(Duration::from_millis(2));
        let now = Instant::now();
        let phase = now.duration_since(start).as_secs_f64() / cycle + id as f64 / 16.0;
        let rate = base * (1.5 + (phase * std::f64::consts::TAU).sin());
        owed += rate * now.duration_since(last).as_secs_f64();
        last = now;
        while owed >= 1.0 {
            owed -= 1.0;
            let endpoint = match rng.random_range(0..10) {
                0..6 => Endpoint::Browse,
                6..9 => Endpoint::Search,
                _ => Endpoint::Checkout,
            };
            stats.served.with(endpoint).inc();
            stats.last_5m.with(endpoint).inc();
            stats.last_1m.with(endpoint).inc();
        }
    }
}

/// Per-minute history from the plain counter: its value sampled at each
/// minute boundary, differenced (what Prometheus' `increase()` does).
struct PerMinute {
    minute: Duration,
    next_boundary: Instant,
    /// The counter at the last six boundaries (start included), oldest first.
    boundaries: VecDeque<u64>,
}

impl PerMinute {
    fn new(start: Instant, minute: Duration) -> Self {
        PerMinute {
            minute,
            next_boundary: start + minute,
            boundaries: VecDeque::from([0]),
        }
    }

    /// Samples `served` if a minute ended (call it at `next_boundary`).
    fn tick(&mut self, now: Instant, served: u64) {
        while now >= self.next_boundary {
            self.boundaries.push_back(served);
            if self.boundaries.len() > 6 {
                self.boundaries.pop_front();
            }
            self.next_boundary += self.minute;
        }
    }

    /// The counts of the last five complete minutes, oldest first, and
    /// of the current minute so far.
    fn history(&self, served: u64) -> (Vec<u64>, u64) {
        let mut complete: Vec<u64> = self
            .boundaries
            .iter()
            .zip(self.boundaries.iter().skip(1))
            .map(|(from, to)| to - from)
            .collect();
        while complete.len() < 5 {
            complete.insert(0, 0);
        }
        (
            complete,
            served - self.boundaries.back().copied().unwrap_or(0),
        )
    }
}

struct Args {
    threads: usize,
    duration: Option<Duration>,
    bucket: Option<Duration>,
    idle: Duration,
    serve: Option<String>,
}

const USAGE: &str = "usage: request_window [--threads 4] [--duration 10s] [--bucket 1s] [--idle 2s] [--serve 127.0.0.1:9464]";

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut parsed = Args {
            threads: 4,
            duration: None,
            bucket: None,
            idle: Duration::ZERO,
            serve: None,
        };
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--threads" => {
                    parsed.threads = value()?
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or("--threads needs a positive number")?
                }
                "--duration" => parsed.duration = Some(parse_duration(&value()?)?),
                "--bucket" => parsed.bucket = Some(parse_duration(&value()?)?),
                "--idle" => parsed.idle = parse_duration(&value()?)?,
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
    let stats = RequestStats::register_global(args.bucket)?;
    let minute = args.bucket.unwrap_or(Duration::from_secs(60));
    let _server = match &args.serve {
        Some(addr) => {
            let server = tally::serve(addr.as_str())?;
            println!("metrics at http://{}/metrics", server.local_addr());
            Some(server)
        }
        None => None,
    };
    if args.bucket.is_some() {
        println!("time compressed: a minute lasts {minute:?}");
    }
    println!(
        "{} threads, windows: last 5m = {:?} in 5 buckets, last 1m = {:?} in 6 buckets",
        args.threads,
        stats.last_5m.window().span(),
        stats.last_1m.window().span(),
    );

    let stop = AtomicBool::new(false);
    let start = Instant::now();
    let deadline = args.duration.map(|d| start + d);
    let mut per_minute = PerMinute::new(start, minute);
    thread::scope(|scope| {
        for id in 0..args.threads {
            let (stats, stop) = (&*stats, &stop);
            // About 1000 requests per second per thread on average.
            scope.spawn(move || worker(stats, id, 1000.0, minute, stop));
        }
        let mut next_print = start + Duration::from_secs(1);
        loop {
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                break;
            }
            let wake = next_print.min(per_minute.next_boundary);
            let wake = deadline.map_or(wake, |d| d.min(wake));
            thread::sleep(wake.saturating_duration_since(now));
            let now = Instant::now();
            per_minute.tick(now, stats.served());
            if now >= next_print {
                print_window(&stats, &per_minute, start);
                next_print += Duration::from_secs(1);
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    // Every worker has stopped: the counts are final.
    let served = stats.served();
    let last_5m = stats.last_5m();
    let elapsed = start.elapsed();
    println!(
        "load stopped after {:.1}s: {served} requests",
        elapsed.as_secs_f64()
    );
    // The 5-minute window always holds at least its last 4 buckets.
    let fits = elapsed < stats.last_5m.window().span() / 5 * 4;
    if fits && last_5m != served {
        return Err(format!("window lost requests: {last_5m} != {served}").into());
    }

    let idle_until = Instant::now() + args.idle;
    while Instant::now() < idle_until {
        thread::sleep(Duration::from_secs(1).min(idle_until - Instant::now()));
        per_minute.tick(Instant::now(), served);
        print_window(&stats, &per_minute, start);
    }
    println!(
        "summary: served {served}, last 5m {}, last 1m {}, window exact: {}",
        stats.last_5m(),
        stats.last_1m(),
        if fits {
            "yes"
        } else {
            "n/a (run longer than the window)"
        },
    );
    Ok(())
}

fn print_window(stats: &RequestStats, per_minute: &PerMinute, start: Instant) {
    let now = Instant::now();
    let served = stats.served();
    let last_5m = stats.last_5m();
    let (minutes, current) = per_minute.history(served);
    let history: Vec<String> = minutes.iter().map(|n| format!("{n:>6}")).collect();
    println!(
        "[{:>5.1}s] window: last 5m {last_5m:>7}, last 1m {:>6} | per minute (counter): {} | this minute {current:>6}",
        now.duration_since(start).as_secs_f64(),
        stats.last_1m(),
        history.join(" "),
    );
}
