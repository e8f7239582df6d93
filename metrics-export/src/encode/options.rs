//! Options of the encoders beyond the format.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Options of the encoders beyond the format.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodeOptions {
    /// Unix time in seconds reported as the `_created` of every counter,
    /// histogram and summary series in OpenMetrics (`None`: no
    /// `_created` samples). Snapshots carry no creation times; the
    /// default is the process start time (on Linux, from `/proc`), a
    /// correct lower bound since every series of a process starts at 0
    /// no earlier than the process.
    pub created: Option<f64>,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            created: process_start(),
        }
    }
}

impl EncodeOptions {
    /// `created` as a protobuf `Timestamp`'s `(seconds, nanos)`.
    pub(crate) fn created_timestamp(&self) -> Option<(i64, i32)> {
        self.created.map(|unix_seconds| {
            let d = Duration::try_from_secs_f64(unix_seconds.max(0.0)).unwrap_or_default();
            (d.as_secs() as i64, d.subsec_nanos() as i32)
        })
    }
}

/// The start time of this process in Unix seconds (millisecond
/// resolution), read once; `None` where it cannot be read.
pub fn process_start() -> Option<f64> {
    static START: OnceLock<Option<f64>> = OnceLock::new();
    *START.get_or_init(read_process_start)
}

/// `btime` of `/proc/stat` plus field 22 (`starttime`, in clock ticks
/// since boot) of `/proc/self/stat`, at the usual 100 ticks per second.
fn read_process_start() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; fields resume after ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let ticks: u64 = rest.split(' ').nth(19)?.parse().ok()?;
    let boot = std::fs::read_to_string("/proc/stat").ok()?;
    let btime: u64 = boot
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let start = btime as f64 + ticks as f64 / 100.0;
    // Sanity: not in the future.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs_f64();
    (start <= now + 1.0).then_some(start)
}
