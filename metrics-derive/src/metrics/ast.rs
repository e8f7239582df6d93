//! The IR of `#[derive(Metrics)]`: the struct and its fields with their
//! attributes parsed and typed, borrowed from `syn`. Only shape errors
//! (unknown keys, wrong value kinds, a field type that is not a family)
//! are reported here; naming and range rules live in `valid.rs`.

use syn::{
    Data, DeriveInput, Expr, Fields, GenericArgument, Ident, LitInt, LitStr, PathArguments, Type,
};

use tally_core::MetricKind;

use crate::attr::{doc_text, Attrs};
use crate::ctxt::Ctxt;
use crate::objective::ObjectiveArgs;

/// Keys of `#[metrics(...)]` on the struct.
pub const STRUCT_KEYS: &[&str] = &["prefix", "max_series", "crate"];

/// Keys of `#[metric(...)]` on a field.
pub const FIELD_KEYS: &[&str] = &[
    "name",
    "help",
    "unit",
    "max_series",
    "flatten",
    "prefix",
    "lowest",
    "highest",
    "precision",
    "buckets",
    "quantiles",
    "window",
    "window_slots",
    "objective",
];

/// Keys of every family field.
const COMMON: &[&str] = &["name", "help", "unit", "max_series"];
/// Keys of an HDR histogram's range, precision and quantiles.
const DISTRIBUTION: &[&str] = &["lowest", "highest", "precision", "quantiles"];
/// The key of a family that can carry a service-level objective: a
/// counter (success) or a histogram with classic buckets (latency).
const OBJECTIVE: &[&str] = &["objective"];
/// Keys of a windowed family.
const WINDOW: &[&str] = &["window", "window_slots"];

/// One family type the derive knows: how its field is exposed and which
/// keys apply to it. The one table the parser, the rules and the
/// expansion read a field's kind from.
#[derive(Debug, PartialEq)]
pub struct Family {
    /// The last segment of the field's type path.
    pub ty: &'static str,
    /// How the registry exposes it (the kind its `Metric` impl reports).
    pub kind: MetricKind,
    /// The groups of keys of `#[metric(...)]` that apply to it.
    keys: &'static [&'static [&'static str]],
}

/// The family types.
pub const FAMILIES: &[Family] = &[
    Family::new("Counter", MetricKind::Counter, &[COMMON, OBJECTIVE]),
    Family::new("FloatCounter", MetricKind::Counter, &[COMMON, OBJECTIVE]),
    Family::new("Gauge", MetricKind::Gauge, &[COMMON]),
    Family::new("FloatGauge", MetricKind::Gauge, &[COMMON]),
    Family::new("MaxGauge", MetricKind::Gauge, &[COMMON]),
    Family::new("MinGauge", MetricKind::Gauge, &[COMMON]),
    Family::new(
        "Histogram",
        MetricKind::Histogram,
        &[COMMON, DISTRIBUTION, &["buckets"], OBJECTIVE],
    ),
    // The window's total, exposed as a gauge (it goes down as buckets expire).
    Family::new("WindowedCounter", MetricKind::Gauge, &[COMMON, WINDOW]),
    // Exposed as a summary: quantiles over the window, no classic buckets.
    Family::new(
        "WindowedHistogram",
        MetricKind::Summary,
        &[COMMON, DISTRIBUTION, WINDOW],
    ),
];

/// The keys of a `#[metric(flatten)]` field.
const FLATTEN_KEYS: &[&str] = &["flatten", "prefix"];

impl Family {
    const fn new(
        ty: &'static str,
        kind: MetricKind,
        keys: &'static [&'static [&'static str]],
    ) -> Family {
        Family { ty, kind, keys }
    }

    /// Whether it is an HDR histogram (the distribution keys apply).
    pub fn histogram(&self) -> bool {
        self.keys.contains(&DISTRIBUTION)
    }

    /// Whether it is a windowed family (the window keys apply).
    pub fn windowed(&self) -> bool {
        self.keys.contains(&WINDOW)
    }

    /// Whether `key` applies to a field of this type.
    pub fn applies(&self, key: &str) -> bool {
        self.keys.iter().any(|group| group.contains(&key))
    }

    /// The family type named `ty`, if any.
    pub fn find(ty: &str) -> Option<&'static Family> {
        FAMILIES.iter().find(|f| f.ty == ty)
    }
}

/// What a field holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// A metric family of one of the [`FAMILIES`].
    Family(&'static Family),
    /// `#[metric(flatten)]`: a nested `#[derive(Metrics)]` struct.
    Flatten,
}

impl Kind {
    /// The family, unless the field is flattened.
    pub fn family(self) -> Option<&'static Family> {
        match self {
            Kind::Family(f) => Some(f),
            Kind::Flatten => None,
        }
    }
}

/// The derive input.
pub struct Input<'a> {
    /// The struct's name.
    pub ident: &'a Ident,
    /// The struct's generics (refused unless empty).
    pub generics: &'a syn::Generics,
    /// The facade path (`::tally` unless `crate = "..."`).
    pub krate: syn::Path,
    /// `prefix = "..."`.
    pub prefix: Option<LitStr>,
    /// `max_series = N` on the struct: the default budget of its fields.
    pub max_series: Option<(u64, LitInt)>,
    /// The fields, when the input is a struct with named fields.
    pub fields: Vec<Field<'a>>,
}

/// One field.
pub struct Field<'a> {
    /// The field's name.
    pub member: &'a Ident,
    /// The field's type as written.
    pub ty: &'a Type,
    /// What it holds, if recognized.
    pub kind: Option<Kind>,
    /// The family's label set type (`()` when omitted).
    pub labels: Option<Type>,
    /// `name = "..."`.
    pub name: Option<LitStr>,
    /// The HELP text: `help = "..."` or the doc comment.
    pub help: String,
    /// `unit = "..."`.
    pub unit: Option<LitStr>,
    /// `max_series = N`.
    pub max_series: Option<(u64, LitInt)>,
    /// `prefix = "..."` on a flattened field.
    pub flatten_prefix: Option<LitStr>,
    /// `lowest = ...`.
    pub lowest: Option<Expr>,
    /// `highest = ...`.
    pub highest: Option<Expr>,
    /// `precision = N`.
    pub precision: Option<(u64, LitInt)>,
    /// `buckets = [...]`.
    pub buckets: Option<Expr>,
    /// `quantiles = [...]`.
    pub quantiles: Option<Expr>,
    /// `window = "5m"`.
    pub window: Option<LitStr>,
    /// `window_slots = N`.
    pub window_slots: Option<(u64, LitInt)>,
    /// `objective(...)`.
    pub objective: Option<ObjectiveArgs>,
}

impl<'a> Input<'a> {
    /// Parses the derive input, reporting shape errors into `cx`.
    pub fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Input<'a> {
        let mut attrs = Attrs::parse(cx, &input.attrs, "metrics", STRUCT_KEYS);
        let krate = attrs.krate(cx);
        let prefix = attrs.string(cx, "prefix");
        let max_series = attrs.int(cx, "max_series");
        for a in input.attrs.iter().filter(|a| a.path().is_ident("metric")) {
            cx.error_spanned_by(
                a.path(),
                "`#[metric(...)]` goes on fields; on the struct use `#[metrics(...)]`",
            );
        }

        let mut fields = Vec::new();
        match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => {
                    for f in &named.named {
                        fields.push(Field::from_syn(cx, f));
                    }
                }
                Fields::Unnamed(_) => cx.error_spanned_by(
                    &data.fields,
                    "`Metrics` is derived for structs with named fields: each field's name is its metric's name",
                ),
                Fields::Unit => cx.error_spanned_by(
                    &input.ident,
                    "`Metrics` is derived for structs with named fields; this unit struct has no metrics",
                ),
            },
            Data::Enum(e) => cx.error_spanned_by(
                e.enum_token,
                "`Metrics` is derived for structs of metric families, not enums",
            ),
            Data::Union(u) => cx.error_spanned_by(
                u.union_token,
                "`Metrics` is derived for structs of metric families, not unions",
            ),
        }
        Input {
            ident: &input.ident,
            generics: &input.generics,
            krate,
            prefix,
            max_series,
            fields,
        }
    }
}

impl<'a> Field<'a> {
    fn from_syn(cx: &Ctxt, field: &'a syn::Field) -> Field<'a> {
        let member = field.ident.as_ref().expect("named field");
        let mut attrs = Attrs::parse(cx, &field.attrs, "metric", FIELD_KEYS);
        for a in field.attrs.iter().filter(|a| a.path().is_ident("metrics")) {
            cx.error_spanned_by(
                a.path(),
                "`#[metrics(...)]` goes on the struct; on a field use `#[metric(...)]`",
            );
        }
        let flatten = attrs.flag(cx, "flatten").is_some();
        let (kind, labels) = if flatten {
            if let Some(family) = family_of(&field.ty) {
                cx.error_spanned_by(
                    &field.ty,
                    format!("`#[metric(flatten)]` is for a nested `#[derive(Metrics)]` struct, but `{}` is a metric family; remove `flatten`", family.ty),
                );
            }
            (Some(Kind::Flatten), None)
        } else {
            classify(cx, &field.ty)
        };

        // Rule: every key applies to the field's kind (one table says
        // which); a key that would be ignored is refused.
        if let Some(kind) = kind {
            for key in attrs.keys() {
                let name = key.to_string();
                let applies = match kind.family() {
                    Some(family) => family.applies(&name),
                    None => FLATTEN_KEYS.contains(&name.as_str()),
                };
                if !applies {
                    attrs.take(&name);
                    cx.error_spanned_by(&key, misplaced(&name, kind));
                }
            }
        }

        let help = match attrs.string(cx, "help") {
            Some(lit) => lit.value(),
            None => doc_text(&field.attrs),
        };
        let name = attrs.string(cx, "name");
        let unit = attrs.string(cx, "unit");
        let max_series = attrs.int(cx, "max_series");
        let flatten_prefix = attrs.string(cx, "prefix");
        let precision = attrs.int(cx, "precision");
        let window = attrs.string(cx, "window");
        let window_slots = attrs.int(cx, "window_slots");
        let objective = attrs.objective();
        let expr = |attrs: &mut Attrs, key: &str| {
            let entry = attrs.take(key)?;
            if entry.value.is_none() {
                cx.error_spanned_by(&entry.key, format!("expected `{key} = ...`"));
            }
            entry.value
        };
        let lowest = expr(&mut attrs, "lowest");
        let highest = expr(&mut attrs, "highest");
        let buckets = expr(&mut attrs, "buckets");
        let quantiles = expr(&mut attrs, "quantiles");
        debug_assert!(attrs.rest().is_empty() || cx.has_errors());
        Field {
            member,
            ty: &field.ty,
            kind,
            labels,
            name,
            help,
            unit,
            max_series,
            flatten_prefix,
            lowest,
            highest,
            precision,
            buckets,
            quantiles,
            window,
            window_slots,
            objective,
        }
    }
}

/// Why `key` does not apply to a field of `kind`.
fn misplaced(key: &str, kind: Kind) -> String {
    match (kind, key) {
        (Kind::Flatten, _) => format!(
            "`{key}` does not apply to a `#[metric(flatten)]` field: the nested struct declares its own metrics"
        ),
        (Kind::Family(_), "prefix") => "`prefix` applies to `#[metric(flatten)]` fields; to rename this metric use `name = \"...\"`".to_owned(),
        (Kind::Family(family), _) => {
            let types: Vec<&str> = FAMILIES
                .iter()
                .filter(|f| f.applies(key))
                .map(|f| f.ty)
                .collect();
            let types = crate::suggest::list(&types).replace(", ", " and ");
            format!("`{key}` does not apply to `{}` fields; it applies only to {types} fields", family.ty)
        }
    }
}

/// The family type of `ty` (`Counter`, `Histogram`, ...) if its last path
/// segment names one.
fn family_of(ty: &Type) -> Option<&'static Family> {
    let Type::Path(path) = ty else { return None };
    Family::find(&path.path.segments.last()?.ident.to_string())
}

/// The kind and label set of a family type, by the last segment of its
/// path (`tally::Counter<(A, B)>`: `Counter`, `(A, B)`).
fn classify(cx: &Ctxt, ty: &Type) -> (Option<Kind>, Option<Type>) {
    let not_a_family = || {
        cx.error_spanned_by(
            ty,
            format!(
                "not a metric family; expected one of {}; use `#[metric(flatten)]` for a nested stats struct",
                crate::suggest::list(&FAMILIES.iter().map(|f| f.ty).collect::<Vec<_>>())
            ),
        );
        (None, None)
    };
    let Type::Path(path) = ty else {
        return not_a_family();
    };
    if path.qself.is_some() {
        return not_a_family();
    }
    let Some(last) = path.path.segments.last() else {
        return not_a_family();
    };
    let Some(family) = Family::find(&last.ident.to_string()) else {
        return not_a_family();
    };
    let kind = Kind::Family(family);
    let labels = match &last.arguments {
        PathArguments::None => syn::parse_quote!(()),
        PathArguments::AngleBracketed(args) => {
            let mut types = args.args.iter().filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            });
            match (types.next(), types.next()) {
                (Some(t), None) if args.args.len() == 1 => t.clone(),
                _ => {
                    cx.error_spanned_by(
                        args,
                        format!("`{}` takes one label set type; for several labels use a tuple, e.g. `{}<(Method, Status)>`", last.ident, last.ident),
                    );
                    return (Some(kind), None);
                }
            }
        }
        PathArguments::Parenthesized(_) => return not_a_family(),
    };
    if obviously_unbounded(&labels) {
        // rustc reports the field's type itself, with `LabelValue`'s
        // plain-words message; anything generated from it would only add
        // copies of that error.
        cx.fail_silently();
    }
    (Some(kind), Some(labels))
}

/// Whether a label set type certainly does not implement `LabelSet`:
/// `String`, `str`, numbers, `char`, slices and arrays, alone or in a
/// tuple. (The fallback still asserts it, in case a crate defines its own
/// type with one of these names.)
pub fn obviously_unbounded(ty: &Type) -> bool {
    const NAMES: &[&str] = &[
        "String", "str", "char", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32",
        "i64", "i128", "isize", "f32", "f64",
    ];
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|s| {
            s.arguments.is_none() && NAMES.contains(&s.ident.to_string().as_str())
        }),
        Type::Reference(r) => matches!(&*r.elem, Type::Path(p) if p.path.is_ident("str")),
        Type::Slice(_) | Type::Array(_) => true,
        Type::Tuple(t) => t.elems.iter().any(obviously_unbounded),
        Type::Paren(p) => obviously_unbounded(&p.elem),
        Type::Group(g) => obviously_unbounded(&g.elem),
        _ => false,
    }
}
