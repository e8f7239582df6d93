//! A family's own table of one label key's values, used when idle series
//! expire: each value's name is an `Arc<str>` freed with its last series,
//! and its ordinal is reused by the next new value.

use std::collections::HashMap;
use std::sync::Arc;

/// One label key's values: value -> ordinal, names by ordinal, and how
/// many live series hold each ordinal. At most `capacity` ordinals.
pub(super) struct OwnedValues {
    capacity: usize,
    ordinals: HashMap<Arc<str>, usize>,
    names: Vec<Option<Arc<str>>>,
    live: Vec<u32>,
    free: Vec<usize>,
}

impl OwnedValues {
    /// An empty table of at most `capacity` values.
    pub(super) fn new(capacity: usize) -> Self {
        OwnedValues {
            capacity,
            ordinals: HashMap::new(),
            names: Vec::new(),
            live: Vec::new(),
            free: Vec::new(),
        }
    }

    /// The ordinal of `value` if it has one.
    pub(super) fn find(&self, value: &str) -> Option<usize> {
        self.ordinals.get(value).copied()
    }

    /// The ordinal of `value`, given a free one if it has none, and
    /// whether it is new; `None` when every ordinal is taken.
    pub(super) fn admit(&mut self, value: &str) -> Option<(usize, bool)> {
        if let Some(ordinal) = self.find(value) {
            return Some((ordinal, false));
        }
        let ordinal = match self.free.pop() {
            Some(ordinal) => ordinal,
            None if self.names.len() < self.capacity => {
                self.names.push(None);
                self.live.push(0);
                self.names.len() - 1
            }
            None => return None,
        };
        let name: Arc<str> = value.into();
        self.names[ordinal] = Some(name.clone());
        self.ordinals.insert(name, ordinal);
        Some((ordinal, true))
    }

    /// One more live series holds `ordinal`.
    pub(super) fn hold(&mut self, ordinal: usize) {
        self.live[ordinal] += 1;
    }

    /// One series holding `ordinal` was removed; the ordinal is freed
    /// when none is left.
    pub(super) fn release(&mut self, ordinal: usize) {
        if let Some(live) = self.live.get_mut(ordinal) {
            *live = live.saturating_sub(1);
            self.free_if_unheld(ordinal);
        }
    }

    /// Frees `ordinal` if no series holds it (a value admitted for a
    /// series that went to overflow instead).
    pub(super) fn free_if_unheld(&mut self, ordinal: usize) {
        if self.live.get(ordinal) != Some(&0) {
            return;
        }
        if let Some(name) = self.names[ordinal].take() {
            self.ordinals.remove(&name);
            self.free.push(ordinal);
        }
    }

    /// The names by ordinal (`None` for a free ordinal).
    pub(super) fn names(&self) -> Vec<Option<Arc<str>>> {
        self.names.clone()
    }

    /// How many values it holds now.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.ordinals.len()
    }
}

#[cfg(test)]
mod tests {
    use super::OwnedValues;

    #[test]
    fn ordinals_are_reused_once_their_last_series_is_gone() {
        let mut values = OwnedValues::new(2);
        assert_eq!(values.admit("a"), Some((0, true)));
        values.hold(0);
        assert_eq!(values.admit("b"), Some((1, true)));
        values.hold(1);
        values.hold(1);
        assert_eq!(values.admit("a"), Some((0, false)));
        assert_eq!(values.admit("c"), None);
        values.release(1);
        assert_eq!(values.admit("c"), None, "b still has a series");
        values.release(1);
        assert_eq!(values.find("b"), None);
        assert_eq!(values.admit("c"), Some((1, true)));
        assert_eq!(values.names()[1].as_deref(), Some("c"));
        // Admitted for nothing: freed at once.
        values.release(0);
        assert_eq!(values.admit("d"), Some((0, true)));
        values.free_if_unheld(0);
        assert_eq!(values.len(), 1);
        assert_eq!(values.names()[0], None);
    }
}
