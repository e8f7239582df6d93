//! The process collector: client_golang's `process_*` families, read from
//! `/proc/self` at every scrape (Linux only; elsewhere the families are
//! absent, not zero).
//!
//! | family | kind | source |
//! |---|---|---|
//! | `process_cpu_seconds_total` | counter | `utime + stime` of `/proc/self/stat`, over `sysconf(_SC_CLK_TCK)` |
//! | `process_resident_memory_bytes` | gauge | `rss` pages of `/proc/self/stat` times `sysconf(_SC_PAGESIZE)` |
//! | `process_virtual_memory_bytes` | gauge | `vsize` of `/proc/self/stat` |
//! | `process_open_fds` | gauge | entries of `/proc/self/fd` |
//! | `process_max_fds` | gauge | soft `Max open files` of `/proc/self/limits` |
//! | `process_start_time_seconds` | gauge | `btime` of `/proc/stat` plus `starttime` ticks |
//! | `process_threads` | gauge | `num_threads` of `/proc/self/stat` |
//!
//! A file that cannot be read leaves its families without a sample for
//! that scrape (never a made-up zero).

use std::sync::Arc;

use tally_core::{
    CollectError, Collected, Collector, Desc, LabelDesc, LabelSet, Metric, MetricKind, Registry,
    RegistryError, Series, Unit, Value,
};

/// client_golang's process families for this process; register it with
/// [`register_process_metrics`] (the standalone server does so by
/// default, see [`ServerBuilder::process_metrics`](crate::ServerBuilder::process_metrics)).
///
/// ```
/// let registry = tally_core::Registry::new();
/// tally_export::register_process_metrics(&registry).unwrap();
/// let names: Vec<String> = registry.snapshot().families.into_iter().map(|f| f.name).collect();
/// if cfg!(target_os = "linux") {
///     assert!(names.contains(&"process_resident_memory_bytes".to_string()));
/// } else {
///     assert!(names.is_empty());
/// }
/// ```
#[derive(Debug, Default)]
pub struct ProcessCollector {
    /// Families left out because the registry had their names already.
    skip: Vec<&'static str>,
}

/// Registers the [`ProcessCollector`] into `registry` (under its prefix,
/// if any), leaving out every family whose name the registry already
/// has, e.g. from a crate emitting `process_*` metrics through the
/// `metrics` recorder (theirs are kept, ours skipped). Returns the names
/// of the families left out: empty when all were registered; all seven
/// on a second registration. `Err` only for another registry error.
///
/// ```
/// let registry = tally_core::Registry::new();
/// assert!(tally_export::register_process_metrics(&registry).unwrap().is_empty());
/// let again = tally_export::register_process_metrics(&registry).unwrap();
/// assert_eq!(again.len(), if cfg!(target_os = "linux") { 7 } else { 0 });
/// ```
pub fn register_process_metrics(registry: &Registry) -> Result<Vec<&'static str>, RegistryError> {
    let mut collector = ProcessCollector::default();
    loop {
        match registry.register_collector(Arc::new(ProcessCollector {
            skip: collector.skip.clone(),
        })) {
            Ok(()) => return Ok(collector.skip),
            Err(RegistryError::Duplicate { name }) => {
                // The exposed name: prefix, and no `_total` for the counter.
                let taken = ALL.iter().find(|desc| {
                    let base = desc.name.strip_suffix("_total").unwrap_or(&desc.name);
                    let exposed = match registry.prefix() {
                        "" => base.to_owned(),
                        prefix => format!("{prefix}_{base}"),
                    };
                    exposed == name && !collector.skip.contains(&&*desc.name)
                });
                match taken {
                    Some(desc) => collector.skip.push(static_name(desc)),
                    None => return Err(RegistryError::Duplicate { name }),
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// A process family's name (they are all static).
fn static_name(desc: &Desc) -> &'static str {
    match desc.name {
        std::borrow::Cow::Borrowed(name) => name,
        std::borrow::Cow::Owned(_) => "",
    }
}

const CPU: Desc = Desc::from_static(
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
    Some(Unit::SECONDS),
)
.standard();
const RESIDENT: Desc = Desc::from_static(
    "process_resident_memory_bytes",
    "Resident memory size in bytes.",
    Some(Unit::BYTES),
)
.standard();
const VIRTUAL: Desc = Desc::from_static(
    "process_virtual_memory_bytes",
    "Virtual memory size in bytes.",
    Some(Unit::BYTES),
)
.standard();
const OPEN_FDS: Desc =
    Desc::from_static("process_open_fds", "Number of open file descriptors.", None).standard();
const MAX_FDS: Desc = Desc::from_static(
    "process_max_fds",
    "Maximum number of open file descriptors.",
    None,
)
.standard();
const START: Desc = Desc::from_static(
    "process_start_time_seconds",
    "Start time of the process since unix epoch in seconds.",
    Some(Unit::SECONDS),
)
.standard();
const THREADS: Desc = Desc::from_static(
    "process_threads",
    "Number of OS threads in the process.",
    None,
)
.standard();

const ALL: [&Desc; 7] = [
    &CPU, &RESIDENT, &VIRTUAL, &OPEN_FDS, &MAX_FDS, &START, &THREADS,
];

impl Collector for ProcessCollector {
    #[cfg(target_os = "linux")]
    fn for_each_family(&self, visit: &mut dyn FnMut(&Desc, &dyn Metric)) {
        let mut visit = |desc: &Desc, metric: &dyn Metric| {
            if !self.skip.contains(&&*desc.name) {
                visit(desc, metric)
            }
        };
        let stat = linux::read_stat();
        let stat = stat.as_ref();
        let counter = |v: Option<f64>| Read(MetricKind::Counter, v);
        let gauge = |v: Option<f64>| Read(MetricKind::Gauge, v);
        visit(&CPU, &counter(stat.map(|s| s.cpu_seconds)));
        visit(&RESIDENT, &gauge(stat.map(|s| s.resident_bytes)));
        visit(&VIRTUAL, &gauge(stat.map(|s| s.virtual_bytes)));
        visit(&OPEN_FDS, &gauge(linux::open_fds()));
        visit(&MAX_FDS, &gauge(linux::max_fds()));
        visit(&START, &gauge(stat.and_then(|s| s.start_time_seconds)));
        visit(&THREADS, &gauge(stat.map(|s| s.threads)));
    }

    #[cfg(not(target_os = "linux"))]
    fn for_each_family(&self, _visit: &mut dyn FnMut(&Desc, &dyn Metric)) {
        // No /proc: no process families (absent, not zero).
    }
}

/// One value read for this scrape (`None`: no sample).
struct Read(MetricKind, Option<f64>);

impl Metric for Read {
    fn kind(&self) -> MetricKind {
        self.0
    }

    fn labels(&self) -> &'static LabelDesc {
        <() as LabelSet>::DESC
    }

    fn collect(&self) -> Result<Collected, CollectError> {
        let series = self
            .1
            .map(|v| {
                let value = match self.0 {
                    MetricKind::Counter => Value::CounterF64(v),
                    _ => Value::GaugeF64(v),
                };
                Series::new(0, value)
            })
            .into_iter()
            .collect();
        Ok(Collected {
            series,
            clamped: 0,
            ..Default::default()
        })
    }
}

/// The start time of this process in Unix seconds, from `/proc` with the
/// clock tick rate of `sysconf`; `None` off Linux or if unreadable.
pub fn process_start_time() -> Option<f64> {
    #[cfg(target_os = "linux")]
    {
        linux::read_stat().and_then(|s| s.start_time_seconds)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(target_os = "linux")]
pub(crate) mod linux {
    //! Reading `/proc/self`.

    /// What `/proc/self/stat` (and `btime`) say, in base units.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Stat {
        pub cpu_seconds: f64,
        pub resident_bytes: f64,
        pub virtual_bytes: f64,
        pub threads: f64,
        pub start_time_seconds: Option<f64>,
    }

    /// `sysconf(name)`, `None` when the system does not say.
    fn sysconf(name: libc::c_int) -> Option<f64> {
        // SAFETY: sysconf only reads a configuration value; it has no
        // pointer arguments and no preconditions.
        let v = unsafe { libc::sysconf(name) };
        (v > 0).then_some(v as f64)
    }

    /// Clock ticks per second (`USER_HZ`), from `sysconf(_SC_CLK_TCK)`.
    pub(crate) fn clock_ticks() -> Option<f64> {
        sysconf(libc::_SC_CLK_TCK)
    }

    /// The page size in bytes, from `sysconf(_SC_PAGESIZE)`.
    pub(crate) fn page_size() -> Option<f64> {
        sysconf(libc::_SC_PAGESIZE)
    }

    /// Parses `/proc/self/stat`; `None` if unreadable or malformed.
    pub(crate) fn read_stat() -> Option<Stat> {
        let text = std::fs::read_to_string("/proc/self/stat").ok()?;
        parse_stat(&text, clock_ticks()?, page_size()?, boot_time())
    }

    /// Fields 3.. of a stat line (the command name, field 2, may hold
    /// spaces and parentheses: the fields resume after the last `)`).
    pub(crate) fn parse_stat(
        text: &str,
        ticks: f64,
        page: f64,
        btime: Option<f64>,
    ) -> Option<Stat> {
        let rest = text.get(text.rfind(')')? + 2..)?;
        let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
        // Field n of proc(5) is fields[n - 3].
        let num = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
        let (utime, stime) = (num(14)?, num(15)?);
        Some(Stat {
            cpu_seconds: (utime + stime) as f64 / ticks,
            threads: num(20)? as f64,
            start_time_seconds: btime.zip(num(22)).map(|(b, t)| b + t as f64 / ticks),
            virtual_bytes: num(23)? as f64,
            resident_bytes: num(24)? as f64 * page,
        })
    }

    /// `btime` of `/proc/stat`: boot time in Unix seconds.
    fn boot_time() -> Option<f64> {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        text.lines()
            .find_map(|l| l.strip_prefix("btime "))?
            .trim()
            .parse::<u64>()
            .ok()
            .map(|b| b as f64)
    }

    /// Entries of `/proc/self/fd` (the directory handle being read counts,
    /// as in client_golang).
    pub(crate) fn open_fds() -> Option<f64> {
        Some(std::fs::read_dir("/proc/self/fd").ok()?.count() as f64)
    }

    /// The soft limit on open files, from `/proc/self/limits`
    /// (`unlimited` as 2^64 - 1, as client_golang reports it).
    pub(crate) fn max_fds() -> Option<f64> {
        let text = std::fs::read_to_string("/proc/self/limits").ok()?;
        parse_max_fds(&text)
    }

    pub(crate) fn parse_max_fds(text: &str) -> Option<f64> {
        let line = text.lines().find(|l| l.starts_with("Max open files"))?;
        let soft = line["Max open files".len()..]
            .split_ascii_whitespace()
            .next()?;
        if soft == "unlimited" {
            return Some(u64::MAX as f64);
        }
        soft.parse::<u64>().ok().map(|v| v as f64)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn parses_a_stat_line_with_a_hostile_command_name() {
            // Fields from proc(5): pid (comm) state ppid ... with
            // utime=250 stime=50 num_threads=7 starttime=1000
            // vsize=4096000 rss=300.
            let line = "42 (a) b (c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 1000 4096000 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0";
            let s = parse_stat(line, 100.0, 4096.0, Some(1_700_000_000.0)).unwrap();
            assert_eq!(s.cpu_seconds, 3.0);
            assert_eq!(s.threads, 7.0);
            assert_eq!(s.virtual_bytes, 4_096_000.0);
            assert_eq!(s.resident_bytes, 300.0 * 4096.0);
            assert_eq!(s.start_time_seconds, Some(1_700_000_010.0));
            // The tick rate is used, not assumed.
            let s = parse_stat(line, 1000.0, 4096.0, None).unwrap();
            assert_eq!(s.cpu_seconds, 0.3);
            assert_eq!(s.start_time_seconds, None);
            assert!(parse_stat("42 (truncated) S 1 2", 100.0, 4096.0, None).is_none());
            assert!(parse_stat("", 100.0, 4096.0, None).is_none());
        }

        #[test]
        fn parses_limits() {
            let limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax processes             127431               127431               processes \nMax open files            1024                 524288               files     \n";
            assert_eq!(parse_max_fds(limits), Some(1024.0));
            let unlimited =
                "Max open files            unlimited            unlimited            files     \n";
            assert_eq!(parse_max_fds(unlimited), Some(u64::MAX as f64));
            assert_eq!(parse_max_fds("nothing here"), None);
        }

        #[test]
        fn sysconf_answers() {
            assert!(clock_ticks().unwrap() >= 1.0);
            assert!(page_size().unwrap() >= 1024.0);
        }
    }
}
