//! A small, strict reader of the text formats for the tests: lines,
//! samples with unescaped labels, and structural checks shared by the
//! 0.0.4 and OpenMetrics tests.

use std::collections::{BTreeMap, HashSet};

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: String,
    /// An OpenMetrics exemplar after the value: `{labels} value timestamp`.
    pub exemplar: Option<String>,
}

impl Sample {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Labels without `le` / `quantile`: the series key.
    pub fn series_key(&self) -> Vec<(String, String)> {
        self.labels
            .iter()
            .filter(|(k, _)| k != "le" && k != "quantile")
            .cloned()
            .collect()
    }

    pub fn f64(&self) -> f64 {
        match self.value.as_str() {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value {v:?}")),
        }
    }
}

/// Parses one sample line: `name{a="x",b="y"} value`.
pub fn parse_sample(line: &str) -> Sample {
    let name_end = line.find(['{', ' ']).expect("a sample has a value");
    let name = line[..name_end].to_string();
    let mut labels = Vec::new();
    let mut rest = &line[name_end..];
    if let Some(r) = rest.strip_prefix('{') {
        let mut chars = r.char_indices().peekable();
        let mut key = String::new();
        loop {
            let (_, c) = chars.next().expect("unterminated labels");
            match c {
                '}' => {
                    let (i, _) = chars.next().expect("space after labels");
                    rest = &r[i..];
                    break;
                }
                ',' => {}
                '=' => {
                    assert_eq!(chars.next().map(|x| x.1), Some('"'));
                    let mut value = String::new();
                    loop {
                        let (_, c) = chars.next().expect("unterminated value");
                        match c {
                            '"' => break,
                            '\\' => match chars.next().expect("escape").1 {
                                'n' => value.push('\n'),
                                '\\' => value.push('\\'),
                                '"' => value.push('"'),
                                other => panic!("bad escape \\{other} in {line}"),
                            },
                            '\n' => panic!("raw newline in a label value"),
                            c => value.push(c),
                        }
                    }
                    labels.push((std::mem::take(&mut key), value));
                }
                c => key.push(c),
            }
        }
    }
    let value = rest.strip_prefix(' ').expect("one space before the value");
    let (value, exemplar) = match value.split_once(" # ") {
        Some((value, exemplar)) => (value, Some(exemplar.to_string())),
        None => (value, None),
    };
    assert!(!value.contains(' '), "no timestamp expected: {line}");
    Sample {
        name,
        labels,
        value: value.to_string(),
        exemplar,
    }
}

/// A family as the text lists it.
#[derive(Debug, Default)]
pub struct TextFamily {
    pub name: String,
    pub kind: String,
    pub help: Option<String>,
    pub unit: Option<String>,
    pub samples: Vec<Sample>,
}

/// Splits the text into families, checking that each family has one
/// HELP and one TYPE before its samples, that no family name repeats
/// (families are not interleaved), and that every sample belongs to the
/// family above it.
pub fn families(
    text: &str,
    sample_suffixes: fn(&str) -> &'static [&'static str],
) -> Vec<TextFamily> {
    assert!(text.ends_with('\n'), "the exposition ends with a newline");
    let mut out: Vec<TextFamily> = Vec::new();
    let mut seen = HashSet::new();
    for line in text.lines() {
        assert!(!line.is_empty(), "no blank lines");
        if let Some(meta) = line.strip_prefix("# ") {
            if meta == "EOF" {
                continue;
            }
            let mut parts = meta.splitn(3, ' ');
            let (what, name, rest) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap_or(""),
            );
            if out.last().is_none_or(|f| f.name != name) {
                assert!(seen.insert(name.to_string()), "family {name} appears twice");
                out.push(TextFamily {
                    name: name.to_string(),
                    ..Default::default()
                });
            }
            let family = out.last_mut().unwrap();
            assert!(
                family.samples.is_empty(),
                "metadata after samples in {name}"
            );
            match what {
                "HELP" => assert!(
                    family.help.replace(rest.to_string()).is_none(),
                    "two HELP for {name}"
                ),
                "TYPE" => {
                    assert!(family.kind.is_empty(), "two TYPE for {name}");
                    family.kind = rest.to_string();
                }
                "UNIT" => assert!(family.unit.replace(rest.to_string()).is_none()),
                other => panic!("unknown metadata {other}"),
            }
        } else {
            let sample = parse_sample(line);
            let family = out.last_mut().expect("a sample after a family header");
            let suffix = sample
                .name
                .strip_prefix(&family.name)
                .unwrap_or_else(|| panic!("{} outside its family {}", sample.name, family.name));
            assert!(
                sample_suffixes(&family.kind).contains(&suffix),
                "suffix {suffix:?} in a {} family",
                family.kind
            );
            family.samples.push(sample);
        }
    }
    out
}

/// Checks every histogram series of a family: `le` ascending, counts
/// cumulative, a `+Inf` bucket equal to `_count`, a `_sum`. Returns the
/// number of series checked.
pub fn check_histogram(family: &TextFamily, bucket_suffix: &str) -> usize {
    let mut series: BTreeMap<Vec<(String, String)>, Vec<&Sample>> = BTreeMap::new();
    let mut order = Vec::new();
    for s in &family.samples {
        let key = s.series_key();
        if !series.contains_key(&key) {
            order.push(key.clone());
        }
        series.entry(key).or_default().push(s);
    }
    for samples in series.values() {
        let buckets: Vec<&&Sample> = samples
            .iter()
            .filter(|s| s.name.ends_with(bucket_suffix))
            .collect();
        assert!(!buckets.is_empty());
        let mut last = (f64::NEG_INFINITY, 0.0);
        for b in &buckets {
            let le: f64 = match b.label("le").unwrap() {
                "+Inf" => f64::INFINITY,
                v => v.parse().unwrap(),
            };
            assert!(le > last.0, "le ascending");
            assert!(b.f64() >= last.1, "cumulative");
            assert_eq!(b.f64().fract(), 0.0);
            last = (le, b.f64());
        }
        assert_eq!(last.0, f64::INFINITY, "+Inf bucket last");
        let count = samples.iter().find(|s| s.name.ends_with("_count")).unwrap();
        assert_eq!(count.f64(), last.1, "+Inf == _count");
        assert!(samples.iter().any(|s| s.name.ends_with("_sum")));
    }
    series.len()
}
