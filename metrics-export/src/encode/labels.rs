//! Writing a series' label set (`{const="..",name="value",le=".."}`) for
//! the text formats, straight from the family's static [`LabelDesc`].

use metrics_core::LabelDesc;

use super::escape::label_value;

/// The registry's constant labels, escaped once per encode
/// (`a="1",b="2"`, empty when there are none).
pub(crate) fn const_labels(pairs: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=\"");
        label_value(&mut out, value);
        out.push(b'"');
    }
    out
}

/// Writes the labels of the series of one family.
pub(crate) struct Labels<'a> {
    consts: &'a [u8],
    desc: &'static LabelDesc,
    /// For each label, the series-index stride of its ordinal.
    strides: Vec<usize>,
}

impl<'a> Labels<'a> {
    /// The label writer of a family, with the escaped constant labels.
    pub(crate) fn new(consts: &'a [u8], desc: &'static LabelDesc) -> Self {
        let mut strides = vec![1usize; desc.values.len()];
        for i in (0..desc.values.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * desc.values[i + 1].len();
        }
        Labels {
            consts,
            desc,
            strides,
        }
    }

    /// The `(name, value)` pairs of series `index` (without constants).
    pub(crate) fn pairs(
        &self,
        index: usize,
    ) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.desc
            .names
            .iter()
            .zip(self.desc.values)
            .zip(&self.strides)
            .map(move |((name, values), stride)| (*name, values[(index / stride) % values.len()]))
    }

    /// Appends `{...}` for series `index`, with an extra last label
    /// (`le`, `quantile`) whose value is written as is; nothing when the
    /// set is empty.
    #[inline]
    pub(crate) fn write(&self, out: &mut Vec<u8>, index: usize, extra: Option<(&[u8], &[u8])>) {
        let mut first = true;
        if !self.consts.is_empty() {
            out.push(b'{');
            out.extend_from_slice(self.consts);
            first = false;
        }
        for (name, value) in self.pairs(index) {
            out.push(if first { b'{' } else { b',' });
            first = false;
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"=\"");
            label_value(out, value);
            out.push(b'"');
        }
        if let Some((name, value)) = extra {
            out.push(if first { b'{' } else { b',' });
            first = false;
            out.extend_from_slice(name);
            out.extend_from_slice(b"=\"");
            out.extend_from_slice(value);
            out.push(b'"');
        }
        if !first {
            out.push(b'}');
        }
    }
}
