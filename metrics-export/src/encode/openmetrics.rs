//! OpenMetrics 1.0 text: the text walker in its OpenMetrics dialect,
//! closed by `# EOF`, with `_created` from [`EncodeOptions`].

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metrics_core::RegistrySnapshot;

use super::text::{encode_text, Dialect};

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

/// Appends `snapshot` as OpenMetrics 1.0 text, ending with `# EOF\n`.
pub fn encode_openmetrics(snapshot: &RegistrySnapshot, options: &EncodeOptions, out: &mut Vec<u8>) {
    encode_text(
        snapshot,
        Dialect::OpenMetrics {
            created: options.created,
        },
        out,
    );
    out.extend_from_slice(b"# EOF\n");
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
