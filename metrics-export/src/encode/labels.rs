//! Writing a series' label set (`{const="..",name="value",le=".."}`) for
//! the text formats, straight from the family's static [`LabelDesc`].
//!
//! Per family, each label value is escaped once into a fragment
//! (`name="value"`): that costs the sum of the labels' cardinalities,
//! never more than the series count. Series indices are decoded into
//! label ordinals by an odometer (ascending indices are the common case),
//! falling back to division for gaps.

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
    /// Escaped `name="value"` fragments of every (label, value).
    fragments: Vec<u8>,
    /// End of each fragment in `fragments`, label-major.
    ends: Vec<usize>,
    /// Index in `ends` of each label's first value.
    base: Vec<usize>,
    /// Ordinals of the series `at`.
    ordinals: Vec<usize>,
    at: Option<usize>,
}

impl<'a> Labels<'a> {
    /// The label writer of a family, with the escaped constant labels.
    pub(crate) fn new(consts: &'a [u8], desc: &'static LabelDesc) -> Self {
        let n = desc.values.len();
        let mut strides = vec![1usize; n];
        for i in (0..n.saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * desc.values[i + 1].len();
        }
        Labels {
            consts,
            desc,
            strides,
            fragments: Vec::new(),
            ends: Vec::new(),
            base: Vec::new(),
            ordinals: vec![0; n],
            at: None,
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

    /// Escapes every label value into its fragment (once per family).
    fn prepare_fragments(&mut self) {
        for (name, values) in self.desc.names.iter().zip(self.desc.values) {
            self.base.push(self.ends.len());
            for value in values.iter() {
                self.fragments.extend_from_slice(name.as_bytes());
                self.fragments.extend_from_slice(b"=\"");
                label_value(&mut self.fragments, value);
                self.fragments.push(b'"');
                self.ends.push(self.fragments.len());
            }
        }
    }

    /// Moves the odometer to series `index`.
    #[inline]
    fn seek(&mut self, index: usize) {
        match self.at {
            Some(at) if at == index => {}
            Some(at) if at + 1 == index => {
                for l in (0..self.ordinals.len()).rev() {
                    self.ordinals[l] += 1;
                    if self.ordinals[l] < self.desc.values[l].len() {
                        break;
                    }
                    self.ordinals[l] = 0;
                }
            }
            _ => {
                for (l, ordinal) in self.ordinals.iter_mut().enumerate() {
                    *ordinal = (index / self.strides[l]) % self.desc.values[l].len();
                }
            }
        }
        self.at = Some(index);
    }

    /// Appends `{...}` for series `index`, with an extra last label
    /// (`le`, `quantile`) whose value is written as is; nothing when the
    /// set is empty.
    #[inline]
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, index: usize, extra: Option<(&[u8], &[u8])>) {
        if self.base.len() != self.desc.names.len() {
            self.prepare_fragments();
        }
        self.seek(index);
        let mut first = true;
        if !self.consts.is_empty() {
            out.push(b'{');
            out.extend_from_slice(self.consts);
            first = false;
        }
        for (l, &ordinal) in self.ordinals.iter().enumerate() {
            out.push(if first { b'{' } else { b',' });
            first = false;
            let i = self.base[l] + ordinal;
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            out.extend_from_slice(&self.fragments[start..self.ends[i]]);
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

#[cfg(test)]
mod tests {
    use super::*;

    static DESC: LabelDesc = LabelDesc {
        names: &["a", "b"],
        values: &[&["x", "y\"z"], &["0", "1", "2"]],
    };

    fn line(labels: &mut Labels, index: usize) -> String {
        let mut out = Vec::new();
        labels.write(&mut out, index, None);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn odometer_matches_division_in_any_order() {
        let consts = const_labels(&[("c".into(), "\\".into())]);
        let mut labels = Labels::new(&consts, &DESC);
        let order = [0, 1, 2, 3, 4, 5, 5, 3, 0, 4, 5, 1];
        for index in order {
            let want: Vec<String> = labels
                .pairs(index)
                .map(|(k, v)| format!("{k}=\"{}\"", v.replace('"', "\\\"")))
                .collect();
            assert_eq!(
                line(&mut labels, index),
                format!("{{c=\"\\\\\",{}}}", want.join(","))
            );
        }
    }

    #[test]
    fn empty_label_set() {
        static NONE: LabelDesc = LabelDesc {
            names: &[],
            values: &[],
        };
        let mut labels = Labels::new(&[], &NONE);
        assert_eq!(line(&mut labels, 0), "");
        let mut out = Vec::new();
        labels.write(&mut out, 0, Some((b"le", b"1.0")));
        assert_eq!(out, b"{le=\"1.0\"}");
    }
}
