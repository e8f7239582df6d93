//! A service-like registry for the page tests: requests by method and
//! status, latency by route (HDR, seconds), response bytes, in-flight and
//! queue gauges, a cache hit ratio and a windowed latency, served by the
//! standalone server; plus an optional load thread that keeps the
//! numbers moving like a real service's.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tally_core::{
    Counter, Desc, FloatGauge, Gauge, Histogram, HistogramConfig, LabelValue, Registry, Unit,
    Window, WindowedHistogram,
};
use tally_export::{Handler, HandlerConfig, Server, ServerHandle};

macro_rules! label {
    ($ty:ident, $name:literal, [$($variant:ident = $value:literal),+ $(,)?]) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $ty { $($variant),+ }
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
        }
        impl LabelValue for $ty {
            const NAME: &'static str = $name;
            const VALUES: &'static [&'static str] = &[$($value),+];
            fn ordinal(&self) -> usize {
                *self as usize
            }
            fn from_ordinal(ordinal: usize) -> Option<Self> {
                Self::ALL.get(ordinal).copied()
            }
        }
    };
}

label!(
    Method,
    "method",
    [Get = "GET", Post = "POST", Delete = "DELETE"]
);
label!(
    Status,
    "status",
    [Ok = "2xx", Client = "4xx", Server = "5xx"]
);
label!(
    Route,
    "route",
    [
        Items = "/api/items",
        Item = "/api/items/{id}",
        Slow = "/api/slow",
        Metrics = "/metrics"
    ]
);
label!(
    Queue,
    "queue",
    [
        Email = "email",
        Thumbnails = "thumbnails",
        Billing = "billing"
    ]
);

/// The families, to record into and to check the page against.
pub struct Stats {
    pub requests: Arc<Counter<(Method, Status)>>,
    pub latency: Arc<Histogram<Route>>,
    pub bytes: Arc<Counter<Route>>,
    pub in_flight: Arc<Gauge>,
    pub queue: Arc<Gauge<Queue>>,
    pub hit_ratio: Arc<FloatGauge>,
    pub recent: Arc<WindowedHistogram<()>>,
}

impl Stats {
    pub fn register(registry: &Registry) -> Stats {
        Stats {
            requests: registry
                .register(
                    Desc::new(
                        "http_requests_total",
                        "Requests served, by method and status class.",
                    ),
                    Counter::new(),
                )
                .unwrap(),
            latency: registry
                .register(
                    Desc::new("http_latency", "Time to produce the response, by route.")
                        .with_unit(Unit::SECONDS),
                    Histogram::with_config(HistogramConfig::seconds()).unwrap(),
                )
                .unwrap(),
            bytes: registry
                .register(
                    Desc::new(
                        "http_response_bytes_total",
                        "Response body bytes sent, by route.",
                    )
                    .with_unit(Unit::BYTES),
                    Counter::new(),
                )
                .unwrap(),
            in_flight: registry
                .register(
                    Desc::new("http_in_flight", "Requests being handled right now."),
                    Gauge::new(),
                )
                .unwrap(),
            queue: registry
                .register(
                    Desc::new("jobs_queued", "Jobs waiting, by queue."),
                    Gauge::new(),
                )
                .unwrap(),
            hit_ratio: registry
                .register(
                    Desc::new("cache_hit", "Share of lookups answered from the cache.")
                        .with_unit(Unit::RATIO),
                    FloatGauge::new(),
                )
                .unwrap(),
            recent: registry
                .register(
                    Desc::new("jobs_recent_duration", "Job run time over the last minute.")
                        .with_unit(Unit::SECONDS),
                    WindowedHistogram::with_config(
                        Window::new(Duration::from_secs(60), 6).unwrap(),
                        HistogramConfig::seconds(),
                    )
                    .unwrap(),
                )
                .unwrap(),
        }
    }

    /// Fixed values: what the page must show before any load runs.
    pub fn record_known(&self) {
        self.requests.with((Method::Get, Status::Ok)).add(1234);
        self.requests.with((Method::Post, Status::Ok)).add(321);
        self.requests.with((Method::Get, Status::Client)).add(17);
        self.requests.with((Method::Delete, Status::Server)).add(2);
        for i in 0..200u64 {
            // 0.2 ms .. 40 ms
            self.latency.with(Route::Items).record(200_000 * (i + 1));
            self.latency
                .with(Route::Slow)
                .record(10_000_000 + 950_000 * i);
        }
        self.latency.with(Route::Item).record(750_000);
        self.bytes.with(Route::Items).add(3 << 20);
        self.bytes.with(Route::Slow).add(40_960);
        self.in_flight.set(7);
        self.queue.with(Queue::Email).set(12);
        self.queue.with(Queue::Thumbnails).set(3);
        self.queue.with(Queue::Billing).set(0);
        self.hit_ratio.set(0.875);
        self.recent.record(4_000_000);
    }
}

/// A registry with [`Stats`], served on loopback by the standalone server.
pub struct Demo {
    pub registry: Arc<Registry>,
    pub stats: Arc<Stats>,
    pub server: Option<ServerHandle>,
    pub addr: SocketAddr,
    load: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

impl Demo {
    /// Serves a fresh registry at `addr` (port 0: a free one).
    pub fn start(addr: SocketAddr) -> Demo {
        let registry = Arc::new(Registry::new());
        let stats = Arc::new(Stats::register(&registry));
        let handler = Handler::with_config(registry.clone(), HandlerConfig::default()).unwrap();
        let server = Server::builder()
            .bind(addr)
            .handler(handler)
            .start()
            .unwrap();
        let addr = server.local_addr();
        Demo {
            registry,
            stats,
            server: Some(server),
            addr,
            load: None,
        }
    }

    /// The page's URL, polling every `interval_s` seconds.
    pub fn page_url(&self, interval_s: f64) -> String {
        format!("http://{}/-/metrics?interval={interval_s}", self.addr)
    }

    /// Starts a thread recording like a busy service, until dropped.
    pub fn start_load(&mut self) {
        let stop = Arc::new(AtomicBool::new(false));
        let stats = self.stats.clone();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut x = 0x2545_f491_4f6c_dd1du64;
            let mut next = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let mut tick = 0u64;
            while !flag.load(Ordering::Relaxed) {
                tick += 1;
                // A slow sine on the request mix, so the charts have a shape.
                let phase = ((tick as f64) / 400.0).sin();
                for _ in 0..(4 + (3.0 * (1.0 + phase)) as u64) {
                    let r = next() % 100;
                    let (method, route) = match r {
                        0..60 => (Method::Get, Route::Items),
                        60..80 => (Method::Post, Route::Items),
                        80..92 => (Method::Get, Route::Item),
                        92..99 => (Method::Get, Route::Slow),
                        _ => (Method::Delete, Route::Item),
                    };
                    let status = match next() % 100 {
                        0..93 => Status::Ok,
                        93..98 => Status::Client,
                        _ => Status::Server,
                    };
                    stats.requests.with((method, status)).inc();
                    // Log-uniform-ish latencies: a few hundred µs, with a tail.
                    let base = if route == Route::Slow {
                        10_000_000
                    } else {
                        150_000
                    };
                    let tail = 1u64 << (next() % 12);
                    let ns = base + (next() % base) * tail / 64;
                    stats.latency.with(route).record(ns);
                    stats.bytes.with(route).add(200 + next() % 4000);
                    stats.recent.record(ns * 3);
                }
                stats
                    .in_flight
                    .set((3.0 + 3.0 * phase) as i64 + (next() % 3) as i64);
                stats
                    .queue
                    .with(Queue::Email)
                    .set(10 + (8.0 * phase) as i64);
                stats.queue.with(Queue::Thumbnails).set((next() % 5) as i64);
                stats.hit_ratio.set(0.85 + 0.1 * phase);
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        self.load = Some((stop, thread));
    }

    /// Stops the server (the page's polls fail from now on).
    pub fn stop_server(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown();
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Some((stop, thread)) = self.load.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = thread.join();
        }
    }
}
