//! Test support: a derived label's exposed name and values are a
//! contract (dashboards, alerts), so each label type's module pins them.

use tally_core::LabelValue;

/// Asserts `L` is exposed as `name` with `values`, in variant order, and
/// that its ordinals round-trip.
pub(crate) fn assert_label<L: LabelValue>(name: &str, values: &[&str]) {
    assert_eq!(L::NAME, name);
    assert_eq!(L::VALUES, values);
    for i in 0..values.len() {
        assert_eq!(L::from_ordinal(i).map(|v| v.ordinal()), Some(i));
    }
    assert!(L::from_ordinal(values.len()).is_none());
}
