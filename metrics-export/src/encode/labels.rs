//! Writing a series' label set (`{const="..",name="value",le=".."}`) for
//! the text formats, straight from the family's static [`LabelDesc`].
//!
//! Per family, each label value is escaped once into a fragment
//! (`name="value"`): that costs the sum of the labels' cardinalities,
//! never more than the series count. Series indices are decoded into
//! label ordinals by an odometer (ascending indices are the common case),
//! falling back to division for gaps, and the rendered label block of the
//! current series is kept: a histogram's many lines, or the next series
//! (usually differing in its last label only), reuse most of it.

use tally_core::LabelDesc;

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

/// Writes the labels of the series of one family; [`reset`](Self::reset)
/// moves it to the next family, keeping its buffers.
pub(crate) struct Labels<'a> {
    consts: &'a [u8],
    desc: &'static LabelDesc,
    /// For each label, the series-index stride of its ordinal.
    strides: Vec<usize>,
    /// Whether `fragments` holds this family's fragments.
    prepared: bool,
    /// Escaped `name="value"` fragments of every (label, value).
    fragments: Vec<u8>,
    /// End of each fragment in `fragments`, label-major.
    ends: Vec<usize>,
    /// Index in `ends` of each label's first value.
    base: Vec<usize>,
    /// Ordinals of the series `at`.
    ordinals: Vec<usize>,
    at: Option<usize>,
    /// `{consts,label="value",...` of series `at` up to, without, the last
    /// label, which changes at every series and is written directly.
    block: Vec<u8>,
    /// Where each label but the last starts in `block`.
    starts: Vec<usize>,
}

impl<'a> Labels<'a> {
    /// The label writer, with the escaped constant labels, set to an
    /// unlabeled family.
    pub(crate) fn new(consts: &'a [u8]) -> Self {
        let desc = <() as tally_core::LabelSet>::DESC;
        let mut labels = Labels {
            consts,
            desc,
            strides: Vec::new(),
            prepared: false,
            fragments: Vec::new(),
            ends: Vec::new(),
            base: Vec::new(),
            ordinals: Vec::new(),
            at: None,
            block: Vec::new(),
            starts: Vec::new(),
        };
        labels.reset(desc, &[]);
        labels
    }

    /// Moves to another family, whose labels are `desc` with the
    /// series-index `strides` of its [`Plan`](super::plan::Plan).
    pub(crate) fn reset(&mut self, desc: &'static LabelDesc, strides: &[usize]) {
        let n = desc.values.len();
        self.desc = desc;
        self.strides.clear();
        self.strides.extend_from_slice(strides);
        self.prepared = false;
        self.ordinals.clear();
        self.ordinals.resize(n, 0);
        self.at = None;
    }

    /// Escapes every label value into its fragment (once per family).
    fn prepare_fragments(&mut self) {
        self.fragments.clear();
        self.ends.clear();
        self.base.clear();
        for (l, (name, values)) in self.desc.names.iter().zip(self.desc.values).enumerate() {
            self.base.push(self.ends.len());
            for ordinal in 0..values.len() {
                let value = self.desc.value_name(l, ordinal);
                self.fragments.extend_from_slice(name.as_bytes());
                self.fragments.extend_from_slice(b"=\"");
                label_value(&mut self.fragments, value);
                self.fragments.push(b'"');
                self.ends.push(self.fragments.len());
            }
        }
        self.prepared = true;
    }

    /// The fragment of label `l` at its current ordinal.
    #[inline]
    fn fragment(&self, l: usize) -> &[u8] {
        let i = self.base[l] + self.ordinals[l];
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.fragments[start..self.ends[i]]
    }

    /// Moves the odometer to series `index` and updates the rendered
    /// block from the first label whose value changed.
    #[inline]
    fn seek(&mut self, index: usize) {
        let changed = match self.at {
            Some(at) if at == index => return,
            Some(at) if at + 1 == index => {
                let mut l = self.ordinals.len();
                while l > 0 {
                    l -= 1;
                    self.ordinals[l] += 1;
                    if self.ordinals[l] < self.desc.values[l].len() {
                        break;
                    }
                    self.ordinals[l] = 0;
                }
                l
            }
            _ => {
                for (l, ordinal) in self.ordinals.iter_mut().enumerate() {
                    *ordinal = (index / self.strides[l]) % self.desc.values[l].len();
                }
                0
            }
        };
        let first_use = self.at.is_none();
        self.at = Some(index);
        if first_use || changed + 1 < self.ordinals.len() {
            self.render_from(if first_use { 0 } else { changed });
        }
    }

    /// Re-renders the block from label `from` on (from the constants
    /// when `from` is 0).
    fn render_from(&mut self, from: usize) {
        let cached = self.ordinals.len().saturating_sub(1);
        if from == 0 {
            self.block.clear();
            if !self.consts.is_empty() {
                self.block.push(b'{');
                self.block.extend_from_slice(self.consts);
            }
            self.starts.clear();
            self.starts.resize(cached, 0);
        } else {
            self.block.truncate(self.starts[from]);
        }
        for l in from..cached {
            self.starts[l] = self.block.len();
            self.block
                .push(if self.block.is_empty() { b'{' } else { b',' });
            let i = self.base[l] + self.ordinals[l];
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            self.block
                .extend_from_slice(&self.fragments[start..self.ends[i]]);
        }
    }

    /// Appends `{...} ` for series `index` (with the space that precedes
    /// the value), with an extra last label (`le`, `quantile`) whose
    /// value is written as is; just the space when the set is empty.
    #[inline]
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, index: usize, extra: Option<(&[u8], &[u8])>) {
        if !self.prepared {
            self.prepare_fragments();
        }
        self.seek(index);
        out.extend_from_slice(&self.block);
        let mut open = !self.block.is_empty();
        if let Some(last) = self.ordinals.len().checked_sub(1) {
            out.push(if open { b',' } else { b'{' });
            open = true;
            out.extend_from_slice(self.fragment(last));
        }
        if let Some((name, value)) = extra {
            out.push(if open { b',' } else { b'{' });
            out.extend_from_slice(name);
            out.extend_from_slice(b"=\"");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\"} ");
        } else if open {
            out.extend_from_slice(b"} ");
        } else {
            out.push(b' ');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::plan::label_strides;
    use super::*;

    static DESC: LabelDesc = LabelDesc {
        names: &["a", "b"],
        values: &[&["x", "y\"z"], &["0", "1", "2"]],
        dynamic: &[],
    };

    fn line(labels: &mut Labels, index: usize) -> String {
        let mut out = Vec::new();
        labels.write(&mut out, index, None);
        String::from_utf8(out)
            .unwrap()
            .strip_suffix(' ')
            .unwrap()
            .to_string()
    }

    #[test]
    fn odometer_matches_division_in_any_order() {
        let consts = const_labels(&[("c".into(), "\\".into())]);
        let mut labels = Labels::new(&consts);
        labels.reset(&DESC, &label_strides(&DESC));
        let order = [0, 1, 2, 3, 4, 5, 5, 3, 0, 4, 5, 1];
        for index in order {
            let want: Vec<String> = DESC
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
            dynamic: &[],
        };
        let mut labels = Labels::new(&[]);
        labels.reset(&NONE, &label_strides(&NONE));
        assert_eq!(line(&mut labels, 0), "");
        let mut out = Vec::new();
        labels.write(&mut out, 0, Some((b"le", b"1.0")));
        assert_eq!(out, b"{le=\"1.0\"} ");
    }
}
