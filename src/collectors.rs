//! Standard families every service exposes under the names the
//! ecosystem's dashboards know: the process's CPU, memory, file
//! descriptors and start time ([`register_process_metrics`]), and the
//! build's version ([`register_build_info!`]).
//!
//! [`serve`](crate::serve) registers the process metrics into the global
//! registry itself.

pub use tally_export::{
    process_start_time, register_build_info, register_process_metrics, ProcessCollector,
    RUSTC_VERSION,
};
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use tally_export::{register_tokio_metrics, TokioCollector};
