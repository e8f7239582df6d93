//! Options of the encoders beyond the format.

use std::sync::OnceLock;
use std::time::Duration;

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

/// The start time of this process in Unix seconds (clock tick
/// resolution, the tick rate from `sysconf`), read once; `None` where it
/// cannot be read. See [`process_start_time`](crate::process_start_time).
pub fn process_start() -> Option<f64> {
    static START: OnceLock<Option<f64>> = OnceLock::new();
    *START.get_or_init(crate::process_start_time)
}
