//! The one table of a family's rendered label values, shared by every
//! encoder that writes labels from bytes: for each (label, ordinal) one
//! fragment, rendered once per family by a format's closure (text:
//! `name="escaped"`, protobuf: a `Metric.label` field, page JSON: a
//! `"escaped"` literal). Rendering costs the sum of the labels'
//! cardinalities, never more than the series count; a series then only
//! copies fragments, picked by the ordinals [`Ordinals`] decodes.
//!
//! [`Ordinals`]: super::plan::Ordinals

use tally_core::{LabelDesc, ValueNames};

/// Rendered label fragments of one family, label-major; reused across
/// families (its buffers are kept).
#[derive(Default)]
pub(crate) struct LabelTable {
    /// Every fragment, back to back.
    bytes: Vec<u8>,
    /// Where each fragment starts in `bytes`, then where the last ends
    /// (one more entry than fragments, so fragment `i` is
    /// `ends[i]..ends[i + 1]`).
    ends: Vec<usize>,
    /// Index in `ends` of each label's first value.
    base: Vec<usize>,
}

impl LabelTable {
    /// Renders every value of every label of `desc` (the names of values
    /// of labels that expire from `names`, taken with the snapshot):
    /// `render(out, name, value)` appends the fragment of label `name` at
    /// `value` to `out`.
    pub(crate) fn fill(
        &mut self,
        desc: &LabelDesc,
        names: &ValueNames,
        mut render: impl FnMut(&mut Vec<u8>, &'static str, &str),
    ) {
        self.bytes.clear();
        self.ends.clear();
        self.base.clear();
        self.ends.push(0);
        for (l, (name, values)) in desc.names.iter().zip(desc.values).enumerate() {
            self.base.push(self.ends.len() - 1);
            for ordinal in 0..values.len() {
                render(&mut self.bytes, name, names.value_name(desc, l, ordinal));
                self.ends.push(self.bytes.len());
            }
        }
    }

    /// The fragment of label `label` at value `ordinal`.
    #[inline]
    pub(crate) fn fragment(&self, label: usize, ordinal: usize) -> &[u8] {
        let i = self.base[label] + ordinal;
        &self.bytes[self.ends[i]..self.ends[i + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static DESC: LabelDesc = LabelDesc {
        names: &["a", "b"],
        values: &[&["x", "y"], &["0", "1", "22"]],
        dynamic: &[],
    };

    #[test]
    fn fragments_by_label_and_ordinal() {
        let mut table = LabelTable::default();
        table.fill(&DESC, &ValueNames::default(), |out, name, value| {
            out.extend_from_slice(name.as_bytes());
            out.push(b'=');
            out.extend_from_slice(value.as_bytes());
        });
        assert_eq!(table.fragment(0, 0), b"a=x");
        assert_eq!(table.fragment(0, 1), b"a=y");
        assert_eq!(table.fragment(1, 0), b"b=0");
        assert_eq!(table.fragment(1, 2), b"b=22");
        // Refilled for another family, nothing of the first is left.
        table.fill(&DESC, &ValueNames::default(), |out, _, value| {
            out.extend_from_slice(value.as_bytes())
        });
        assert_eq!(table.fragment(1, 2), b"22");
        assert_eq!(table.fragment(0, 0), b"x");
    }
}
