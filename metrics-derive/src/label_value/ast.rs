//! The derive's input, borrowed from syn: the type, its `#[label]`
//! attributes and, for an enum, its variants with theirs. Attribute
//! mistakes (unknown or repeated keys, values of the wrong kind) are
//! reported here; the rules are in `valid`.

use syn::{Data, DeriveInput, Fields, Generics, Ident, LitInt, LitStr};

use crate::attr::Attrs;
use crate::case::RenameRule;
use crate::ctxt::Ctxt;

/// The keys `#[label(...)]` takes on an enum.
const ENUM_KEYS: &[&str] = &["name", "rename_all", "crate"];
/// The keys `#[label(...)]` takes on a dynamic label.
const DYNAMIC_KEYS: &[&str] = &["dynamic", "name", "capacity", "idle_secs", "crate"];
/// The keys `#[label(...)]` takes on a variant.
const VARIANT_KEYS: &[&str] = &["rename"];

/// The derive's input.
pub struct Input<'a> {
    /// The type.
    pub ident: &'a Ident,
    /// Its generics (a label may have none).
    pub generics: &'a Generics,
    /// The facade path (`::tally` unless `crate = "..."`).
    pub krate: syn::Path,
    /// `name = "..."`: the label name, if given.
    pub name: Option<LitStr>,
    /// What the type is.
    pub body: Body<'a>,
}

/// The shape of the type.
pub enum Body<'a> {
    /// An enum: each variant a value.
    Enum {
        /// `rename_all = "..."`, if given and known.
        rename_all: Option<RenameRule>,
        /// The variants, in order.
        variants: Vec<Variant<'a>>,
    },
    /// `#[label(dynamic, ...)]`: values admitted at run time.
    Dynamic {
        /// `capacity = N`, if given.
        capacity: Option<(u64, LitInt)>,
        /// `idle_secs = N`, if given: values expire after `N` seconds
        /// unwritten.
        idle_secs: Option<(u64, LitInt)>,
        /// Whether the type is a tuple struct of one field (the handle's
        /// index).
        tuple_of_one: bool,
    },
    /// A struct without `dynamic`: not a label value.
    Struct(syn::token::Struct),
    /// A union: not a label value.
    Union(syn::token::Union),
}

/// One enum variant.
pub struct Variant<'a> {
    /// Its name.
    pub ident: &'a Ident,
    /// Its fields (a label's variants have none).
    pub fields: &'a Fields,
    /// `rename = "..."`, if given.
    pub rename: Option<LitStr>,
}

impl<'a> Input<'a> {
    /// Parses `input`, reporting attribute mistakes into `cx`.
    pub fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        let dynamic = is_dynamic(input);
        let keys = if dynamic { DYNAMIC_KEYS } else { ENUM_KEYS };
        let mut attrs = Attrs::parse(cx, &input.attrs, "label", keys);
        if dynamic {
            attrs.flag(cx, "dynamic");
        }
        let krate = attrs.krate(cx);
        let body = if dynamic {
            let capacity = attrs.int(cx, "capacity");
            let idle_secs = attrs.int(cx, "idle_secs");
            Body::Dynamic {
                capacity,
                idle_secs,
                tuple_of_one: matches!(
                    &input.data,
                    Data::Struct(s) if matches!(&s.fields, Fields::Unnamed(f) if f.unnamed.len() == 1)
                ),
            }
        } else {
            match &input.data {
                Data::Enum(_) => Body::Enum {
                    rename_all: None,
                    variants: Vec::new(),
                },
                Data::Struct(s) => Body::Struct(s.struct_token),
                Data::Union(u) => Body::Union(u.union_token),
            }
        };
        let name = attrs.string(cx, "name");
        let body = match (body, &input.data) {
            (Body::Enum { .. }, Data::Enum(data)) => {
                let rename_all = attrs.string(cx, "rename_all").and_then(|lit| {
                    RenameRule::from_str(&lit.value())
                        .map_err(|e| cx.error_spanned_by(&lit, e))
                        .ok()
                });
                let variants = data
                    .variants
                    .iter()
                    .map(|v| {
                        let mut vattrs = Attrs::parse(cx, &v.attrs, "label", VARIANT_KEYS);
                        Variant {
                            ident: &v.ident,
                            fields: &v.fields,
                            rename: vattrs.string(cx, "rename"),
                        }
                    })
                    .collect();
                Body::Enum {
                    rename_all,
                    variants,
                }
            }
            (body, _) => body,
        };
        Input {
            ident: &input.ident,
            generics: &input.generics,
            krate,
            name,
            body,
        }
    }
}

/// Whether `input` asks for a runtime-bounded label: a `#[label(...)]`
/// attribute with a bare `dynamic` key.
fn is_dynamic(input: &DeriveInput) -> bool {
    input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("label"))
        .any(|a| {
            let mut found = false;
            let _ = a.parse_nested_meta(|meta| {
                found |= meta.path.is_ident("dynamic");
                if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<syn::Expr>()?;
                }
                Ok(())
            });
            found
        })
}
