//! The rules a label type must meet, one function each, every violation
//! reported into the context with its span; and what they decide: the
//! label name and, for an enum, each variant's exposed value.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Ident, LitStr};

use super::ast::{Body, Input, Variant};
use crate::case::{snake_case, RenameRule};
use crate::ctxt::Ctxt;

/// What the checks decided.
pub struct Plan {
    /// The label name.
    pub name: String,
    /// An enum's exposed values, in variant order (empty for a dynamic
    /// label).
    pub values: Vec<String>,
    /// A dynamic label's capacity (0 for an enum).
    pub capacity: usize,
    /// A dynamic label's idle time in seconds, if its values expire.
    pub idle_secs: Option<u64>,
}

/// Checks every rule of `input`.
pub fn check(cx: &Ctxt, input: &Input) -> Plan {
    let mut plan = Plan {
        name: String::new(),
        values: Vec::new(),
        capacity: 0,
        idle_secs: None,
    };
    match &input.body {
        Body::Enum {
            rename_all,
            variants,
        } => {
            not_generic(cx, input, "`LabelValue` cannot be derived for a generic enum: a label's values must be fixed");
            not_empty(cx, input.ident, variants);
            fieldless(cx, variants);
            plan.values = exposed_values(variants, *rename_all);
            distinct_values(cx, variants, &plan.values);
        }
        Body::Dynamic {
            capacity,
            idle_secs,
            tuple_of_one,
        } => {
            plan.capacity = dynamic_capacity(cx, input.ident, capacity);
            plan.idle_secs = idle_time(cx, idle_secs);
            plan.name = label_name(cx, input.name.as_ref(), input.ident);
            not_generic(cx, input, "a dynamic label cannot be generic");
            one_index_field(cx, input.ident, *tuple_of_one);
            return plan;
        }
        // Rule: only enums (and dynamic labels) are label values.
        Body::Struct(token) => cx.error_spanned_by(
            token,
            "`LabelValue` is derived for fieldless enums; for a struct of labels use `#[derive(LabelSet)]`",
        ),
        Body::Union(token) => cx.error_spanned_by(
            token,
            "`LabelValue` is derived for fieldless enums, not unions",
        ),
    }
    plan.name = label_name(cx, input.name.as_ref(), input.ident);
    plan
}

/// Rule: a label type is not generic (its value set would depend on a
/// parameter, and the impl would need bounds nobody asked for).
fn not_generic(cx: &Ctxt, input: &Input, message: &str) {
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(input.generics, message);
    }
}

/// Rule: an enum has at least one variant (a family over an empty enum
/// could never record anything).
fn not_empty(cx: &Ctxt, ident: &Ident, variants: &[Variant]) {
    if variants.is_empty() {
        cx.error_spanned_by(
            ident,
            "`LabelValue` cannot be derived for an empty enum: a label needs at least one value",
        );
    }
}

/// Rule: only fieldless variants (a field would make the label's values
/// unbounded).
fn fieldless(cx: &Ctxt, variants: &[Variant]) {
    for v in variants {
        if !matches!(v.fields, syn::Fields::Unit) {
            cx.error_spanned_by(
                v.fields,
                format!(
                    "variant `{}` has fields; `LabelValue` is derived only for fieldless enums, whose values are a fixed set",
                    v.ident
                ),
            );
        }
    }
}

/// Each variant's exposed value: its `rename`, else its name under the
/// enum's `rename_all` rule (snake_case by default).
fn exposed_values(variants: &[Variant], rule: Option<RenameRule>) -> Vec<String> {
    variants
        .iter()
        .map(|v| match &v.rename {
            Some(lit) => lit.value(),
            None => rule
                .unwrap_or(RenameRule::Snake)
                .apply(&v.ident.to_string()),
        })
        .collect()
}

/// Rule: two variants may not expose the same string (their series would
/// be indistinguishable in the output); empty strings neither.
fn distinct_values(cx: &Ctxt, variants: &[Variant], values: &[String]) {
    let span = |v: &Variant| -> TokenStream {
        match &v.rename {
            Some(lit) => quote!(#lit),
            None => {
                let ident = v.ident;
                quote!(#ident)
            }
        }
    };
    for (i, (v, value)) in variants.iter().zip(values).enumerate() {
        if value.is_empty() {
            cx.error_spanned_by(span(v), "a label value cannot be empty");
        }
        if let Some(first) = values[..i].iter().position(|w| w == value) {
            cx.error_spanned_by(
                span(v),
                format!(
                    "variant `{}` exposes the label value \"{}\", already exposed by variant `{}`",
                    v.ident, value, variants[first].ident
                ),
            );
        }
    }
}

/// Rule: a dynamic label's capacity is given and at least 1 (the values
/// it can admit before everything goes to the overflow value).
fn dynamic_capacity(cx: &Ctxt, ident: &Ident, capacity: &Option<(u64, syn::LitInt)>) -> usize {
    match capacity {
        Some((0, lit)) => {
            cx.error_spanned_by(lit, "a dynamic label's capacity must be at least 1");
            0
        }
        Some((n, _)) => *n as usize,
        None => {
            cx.error_spanned_by(
                ident,
                "a dynamic label needs a capacity: `#[label(dynamic, capacity = 64)]`",
            );
            0
        }
    }
}

/// Rule: a dynamic label's idle time, if given, is at least 1 second (a
/// value is evicted only after it passed without a write).
fn idle_time(cx: &Ctxt, idle_secs: &Option<(u64, syn::LitInt)>) -> Option<u64> {
    match idle_secs {
        Some((0, lit)) => {
            cx.error_spanned_by(lit, "a dynamic label's idle_secs must be at least 1");
            None
        }
        Some((n, _)) => Some(*n),
        None => None,
    }
}

/// Rule: a dynamic label is a tuple struct holding only the handle's
/// index, so a value can only come from the label's table.
fn one_index_field(cx: &Ctxt, ident: &Ident, tuple_of_one: bool) {
    if !tuple_of_one {
        cx.error_spanned_by(
            ident,
            "a dynamic label is a tuple struct of one field: `struct Tenant(tally::dynamic_label::DynamicIndex);`",
        );
    }
}

/// Rule: the label name is a legal, unreserved Prometheus label name
/// (`[a-zA-Z_][a-zA-Z0-9_]*`, not `le`, `quantile` or `__*`), checked
/// by the registry's own rule. It is `explicit` if given, else the
/// type's name in snake_case (the error spanned on the type, saying how
/// to set one).
fn label_name(cx: &Ctxt, explicit: Option<&LitStr>, ident: &Ident) -> String {
    match explicit {
        Some(lit) => explicit_label_name(cx, lit),
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
    }
}

/// The label name written in an attribute (`name = "..."` on a label
/// type, `rename = "..."` on a `LabelSet` field), checked by the same
/// rule, the error spanned on the literal: the one place the derives
/// check a label name someone wrote.
pub fn explicit_label_name(cx: &Ctxt, lit: &LitStr) -> String {
    let name = lit.value();
    if let Err(reason) = tally_core::name::check_label_name(&name) {
        cx.error_spanned_by(lit, format!("invalid label name \"{name}\": {reason}"));
    }
    name
}
