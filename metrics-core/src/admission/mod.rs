//! The admission table of runtime label values: which strings hold which
//! ordinals, what was refused and why, and (with an idle time) which
//! values expire. [`dynamic_label!`](crate::dynamic_label!) types and the
//! label descriptors read it; it reads neither, so labels and runtime
//! labels import it without importing each other.

mod error;
mod expiry;
mod table;

pub use error::{DynamicLabelError, Rejection};
pub use expiry::Mark;
pub(crate) use expiry::{epoch, Expiry, Marks, SlotNames};
pub use table::{bucket_count, DynamicValues, Slot, MAX_VALUE_LEN, OVERFLOW_VALUE};
