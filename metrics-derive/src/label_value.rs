//! `#[derive(LabelValue)]`: a fieldless enum as a bounded label.
//!
//! Parse the enum and its `#[label]` attributes, check the rules (fieldless,
//! not generic, not empty, unique exposed strings, a legal label name),
//! then expand to `impl LabelValue`. On any error the output is the errors
//! plus a stub impl, so the enum's uses elsewhere do not cascade.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Ident, LitStr};

use crate::attr::Attrs;
use crate::case::{snake_case, RenameRule};
use crate::ctxt::Ctxt;

/// One variant and the string it exposes.
struct Variant<'a> {
    ident: &'a Ident,
    value: String,
    /// The `rename` literal, for spans, if the variant has one.
    rename: Option<LitStr>,
}

/// Entry point: `impl LabelValue`, or errors plus a stub.
pub fn derive(input: &DeriveInput) -> TokenStream {
    // `#[label(dynamic, capacity = N)]`: a runtime-bounded label.
    if crate::dynamic_label::is_dynamic(input) {
        return crate::dynamic_label::derive(input);
    }
    let cx = Ctxt::new();
    let mut attrs = Attrs::parse(&cx, &input.attrs, "label", &["name", "rename_all", "crate"]);
    let krate = attrs.krate(&cx);
    let name_lit = attrs.string(&cx, "name");
    let rule = attrs.string(&cx, "rename_all").and_then(|lit| {
        RenameRule::from_str(&lit.value())
            .map_err(|e| cx.error_spanned_by(&lit, e))
            .ok()
    });
    let ident = &input.ident;

    // Rule: generic enums cannot be labels (their value set would depend
    // on a parameter, and the impl would need bounds nobody asked for).
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            "`LabelValue` cannot be derived for a generic enum: a label's values must be fixed",
        );
    }

    let variants = match &input.data {
        Data::Enum(data) => {
            // Rule: an empty enum has no values, so a family over it could
            // never record anything.
            if data.variants.is_empty() {
                cx.error_spanned_by(
                    ident,
                    "`LabelValue` cannot be derived for an empty enum: a label needs at least one value",
                );
            }
            let mut variants = Vec::new();
            for v in &data.variants {
                // Rule: only fieldless variants; a field would make the
                // label's values unbounded.
                if !matches!(v.fields, syn::Fields::Unit) {
                    cx.error_spanned_by(
                        &v.fields,
                        format!(
                            "variant `{}` has fields; `LabelValue` is derived only for fieldless enums, whose values are a fixed set",
                            v.ident
                        ),
                    );
                }
                let mut vattrs = Attrs::parse(&cx, &v.attrs, "label", &["rename"]);
                let rename = vattrs.string(&cx, "rename");
                let value = match &rename {
                    Some(lit) => lit.value(),
                    None => rule
                        .unwrap_or(RenameRule::Snake)
                        .apply(&v.ident.to_string()),
                };
                variants.push(Variant {
                    ident: &v.ident,
                    value,
                    rename,
                });
            }
            variants
        }
        Data::Struct(s) => {
            cx.error_spanned_by(
                s.struct_token,
                "`LabelValue` is derived for fieldless enums; for a struct of labels use `#[derive(LabelSet)]`",
            );
            Vec::new()
        }
        Data::Union(u) => {
            cx.error_spanned_by(
                u.union_token,
                "`LabelValue` is derived for fieldless enums, not unions",
            );
            Vec::new()
        }
    };

    // Rule: two variants may not expose the same string (the series
    // would be indistinguishable in the output); empty strings neither.
    for (i, v) in variants.iter().enumerate() {
        let span_tokens = |v: &Variant| -> TokenStream {
            match &v.rename {
                Some(lit) => quote!(#lit),
                None => {
                    let ident = v.ident;
                    quote!(#ident)
                }
            }
        };
        if v.value.is_empty() {
            cx.error_spanned_by(span_tokens(v), "a label value cannot be empty");
        }
        if let Some(first) = variants[..i].iter().find(|w| w.value == v.value) {
            cx.error_spanned_by(
                span_tokens(v),
                format!(
                    "variant `{}` exposes the label value \"{}\", already exposed by variant `{}`",
                    v.ident, v.value, first.ident
                ),
            );
        }
    }

    // Rule: the label name must be a legal, unreserved Prometheus label
    // name (`[a-zA-Z_][a-zA-Z0-9_]*`, not `le`, `quantile` or `__*`).
    let label_name = match &name_lit {
        Some(lit) => {
            let name = lit.value();
            if let Err(reason) = tally_core::name::check_label_name(&name) {
                cx.error_spanned_by(lit, format!("invalid label name \"{name}\": {reason}"));
            }
            name
        }
        None => {
            let name = snake_case(&ident.to_string());
            if let Err(reason) = tally_core::name::check_label_name(&name) {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "the label name derived from the type, \"{name}\", is invalid: {reason}; set one with `#[label(name = \"...\")]`"
                    ),
                );
            }
            name
        }
    };

    let p = quote!(#krate::__private);
    if let Err(errors) = cx.check() {
        return crate::attr::label_value_stub(&krate, input, errors);
    }

    let values = variants.iter().map(|v| &v.value);
    let idents: Vec<&Ident> = variants.iter().map(|v| v.ident).collect();
    let ordinals: Vec<usize> = (0..variants.len()).collect();
    quote! {
        #[automatically_derived]
        impl #p::LabelValue for #ident {
            const NAME: &'static ::core::primitive::str = #label_name;
            const VALUES: &'static [&'static ::core::primitive::str] = &[#(#values),*];

            #[inline(always)]
            fn ordinal(&self) -> ::core::primitive::usize {
                match self {
                    #(#ident::#idents => #ordinals,)*
                }
            }

            fn from_ordinal(ordinal: ::core::primitive::usize) -> ::core::option::Option<Self> {
                match ordinal {
                    #(#ordinals => ::core::option::Option::Some(#ident::#idents),)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    }
}
