//! Writing a series' label set (`{const="..",name="value",le=".."}`) for
//! the text formats, straight from the family's static [`LabelDesc`].
//!
//! Per family, each label value is escaped once into a fragment
//! (`name="value"`) of a [`LabelTable`]; series indices are decoded into
//! label ordinals by the plan's [`Ordinals`], and the rendered label
//! block of the current series is kept: a histogram's many lines, or the
//! next series (usually differing in its last label only), reuse most of
//! it.

use tally_core::{LabelDesc, ValueNames};

use super::escape::label_value;
use super::label_table::LabelTable;
use super::plan::{Ordinals, Plan};

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
    /// The names of its expiring labels' values, from the snapshot.
    names: ValueNames,
    /// Whether `table` holds this family's fragments.
    prepared: bool,
    /// Escaped `name="value"` fragments of every (label, value).
    table: LabelTable,
    /// The ordinals of the series `block` was rendered for.
    ordinals: Ordinals,
    /// Whether `block` was rendered since the reset.
    rendered: bool,
    /// `{consts,label="value",...` of the current series up to, without,
    /// the last label, which changes at every series and is written
    /// directly.
    block: Vec<u8>,
    /// Where each label but the last starts in `block`.
    starts: Vec<usize>,
}

impl<'a> Labels<'a> {
    /// The label writer, with the escaped constant labels (set to a
    /// family by [`reset`](Self::reset)).
    pub(crate) fn new(consts: &'a [u8]) -> Self {
        Labels {
            consts,
            desc: <() as tally_core::LabelSet>::DESC,
            names: ValueNames::default(),
            prepared: false,
            table: LabelTable::default(),
            ordinals: Ordinals::default(),
            rendered: false,
            block: Vec::new(),
            starts: Vec::new(),
        }
    }

    /// Moves to the family of `plan`.
    pub(crate) fn reset(&mut self, plan: &Plan) {
        self.desc = plan.family.labels;
        self.names = plan.family.names.clone();
        self.prepared = false;
        self.ordinals.reset(plan);
        self.rendered = false;
    }

    /// Re-renders the block from label `from` on (from the constants
    /// when `from` is 0).
    fn render_from(&mut self, from: usize) {
        let ordinals = self.ordinals.get();
        let cached = ordinals.len().saturating_sub(1);
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
        for (l, &ordinal) in ordinals.iter().enumerate().take(cached).skip(from) {
            self.starts[l] = self.block.len();
            self.block
                .push(if self.block.is_empty() { b'{' } else { b',' });
            self.block
                .extend_from_slice(self.table.fragment(l, ordinal));
        }
    }

    /// Appends `{...} ` for series `index` (with the space that precedes
    /// the value), with an extra last label (`le`, `quantile`) whose
    /// value is written as is; just the space when the set is empty.
    #[inline]
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, index: usize, extra: Option<(&[u8], &[u8])>) {
        if !self.prepared {
            self.table.fill(self.desc, &self.names, |out, name, value| {
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b"=\"");
                label_value(out, value);
                out.push(b'"');
            });
            self.prepared = true;
        }
        let changed = self.ordinals.seek(index);
        let n = self.ordinals.get().len();
        if !self.rendered || changed + 1 < n {
            self.render_from(if self.rendered { changed } else { 0 });
            self.rendered = true;
        }
        out.extend_from_slice(&self.block);
        let mut open = !self.block.is_empty();
        if let Some(last) = n.checked_sub(1) {
            out.push(if open { b',' } else { b'{' });
            open = true;
            out.extend_from_slice(self.table.fragment(last, self.ordinals.get()[last]));
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
    use super::*;
    use tally_core::{FamilySnapshot, MetricKind};

    /// A family of `desc` without series, for its plan.
    fn family(desc: &'static LabelDesc) -> FamilySnapshot {
        FamilySnapshot {
            name: "f".into(),
            help: "".into(),
            unit: None,
            kind: MetricKind::Counter,
            labels: desc,
            series: Vec::new(),
            clamped: 0,
            names: ValueNames::default(),
        }
    }

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
        let family = family(&DESC);
        labels.reset(&Plan::new(&family));
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
        let family = family(&NONE);
        labels.reset(&Plan::new(&family));
        assert_eq!(line(&mut labels, 0), "");
        let mut out = Vec::new();
        labels.write(&mut out, 0, Some((b"le", b"1.0")));
        assert_eq!(out, b"{le=\"1.0\"} ");
    }
}
