//! The label descriptions of families whose series expire, interned by
//! (label keys, per-key capacity) in a bounded pool: a family must return
//! a `&'static LabelDesc`, and names that come and go for months must not
//! leak one each.

use std::collections::HashMap;
use std::sync::Mutex;

use tally_core::dynamic_label::OVERFLOW_VALUE;
use tally_core::LabelDesc;

use super::telemetry::Dropped;

/// Label descriptions, each leaked once and shared by every family with
/// the same sorted label keys and per-key capacity.
#[derive(Default)]
pub(super) struct DescPool {
    descs: Mutex<HashMap<(Vec<String>, usize), &'static LabelDesc>>,
}

impl DescPool {
    /// The description of labels `keys` (sorted) with `capacity` values
    /// each plus the overflow value: placeholders only, the names travel
    /// in `Collected::names`. `Err(TooManyKeySets)` when the pool holds
    /// `max` descriptions already, none of them this one.
    pub(super) fn intern(
        &self,
        keys: &[&str],
        capacity: usize,
        max: usize,
    ) -> Result<&'static LabelDesc, Dropped> {
        let key = (keys.iter().map(|k| (*k).to_owned()).collect(), capacity);
        let mut descs = self.descs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(desc) = descs.get(&key) {
            return Ok(desc);
        }
        if descs.len() >= max {
            return Err(Dropped::TooManyKeySets);
        }
        let leak = |s: &str| -> &'static str { Box::leak(s.into()) };
        let placeholders: &'static [&'static str] = Box::leak(
            (0..=capacity)
                .map(|o| if o == capacity { OVERFLOW_VALUE } else { "" })
                .collect(),
        );
        let desc: &'static LabelDesc = Box::leak(Box::new(LabelDesc {
            names: Box::leak(keys.iter().map(|k| leak(k)).collect()),
            values: Box::leak(vec![placeholders; keys.len()].into_boxed_slice()),
            dynamic: &[],
        }));
        descs.insert(key, desc);
        Ok(desc)
    }

    /// How many descriptions it holds.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.descs.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_description_per_key_set_and_capacity_up_to_the_cap() {
        let pool = DescPool::default();
        let a = pool.intern(&["a", "b"], 4, 2).unwrap();
        assert!(std::ptr::eq(a, pool.intern(&["a", "b"], 4, 2).unwrap()));
        assert_eq!(a.names, ["a", "b"]);
        assert_eq!(a.values[1].len(), 5);
        assert_eq!(a.value_name(0, 4), OVERFLOW_VALUE);
        pool.intern(&["a", "b"], 3, 2).unwrap();
        assert_eq!(pool.len(), 2);
        assert!(matches!(
            pool.intern(&["c"], 4, 2),
            Err(Dropped::TooManyKeySets)
        ));
        assert!(pool.intern(&["a", "b"], 3, 2).is_ok());
        assert_eq!(pool.len(), 2);
    }
}
