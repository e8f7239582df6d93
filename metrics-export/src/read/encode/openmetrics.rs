//! OpenMetrics 1.0 text: the text walker in its OpenMetrics dialect,
//! closed by `# EOF`, with `_created` from [`EncodeOptions`].

use tally_core::RegistrySnapshot;

use super::options::EncodeOptions;
use super::text::{encode_text, Dialect};

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
