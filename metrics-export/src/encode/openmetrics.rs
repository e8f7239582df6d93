//! OpenMetrics 1.0 text: the text walker in its OpenMetrics dialect,
//! closed by `# EOF`, with `_created` from [`EncodeOptions`].

use std::sync::OnceLock;

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

/// The start time of this process in Unix seconds (clock tick
/// resolution, the tick rate from `sysconf`), read once; `None` where it
/// cannot be read. See [`process_start_time`](crate::process_start_time).
pub fn process_start() -> Option<f64> {
    static START: OnceLock<Option<f64>> = OnceLock::new();
    *START.get_or_init(crate::process_start_time)
}
