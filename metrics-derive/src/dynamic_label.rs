//! `#[derive(LabelValue)] #[label(dynamic, capacity = N)]` on
//! `struct Tenant(DynamicIndex);`: a runtime-bounded label, the derive
//! form of `tally::dynamic_label!` (which it expands to, impls only).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

use crate::attr::Attrs;
use crate::case::snake_case;
use crate::ctxt::Ctxt;

/// Whether `input` asks for a runtime-bounded label: a `#[label(...)]`
/// attribute with a bare `dynamic` key.
pub fn is_dynamic(input: &DeriveInput) -> bool {
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

/// Entry point: the impls of `dynamic_label!`, or the errors.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let mut attrs = Attrs::parse(
        &cx,
        &input.attrs,
        "label",
        &["dynamic", "name", "capacity", "crate"],
    );
    attrs.flag(&cx, "dynamic");
    let krate = attrs.krate(&cx);
    let ident = &input.ident;

    // Rule: the capacity is required and at least 1 (the values a label
    // can admit before everything goes to the overflow value).
    let capacity = match attrs.int(&cx, "capacity") {
        Some((0, lit)) => {
            cx.error_spanned_by(lit, "a dynamic label's capacity must be at least 1");
            None
        }
        Some((n, _)) => Some(n as usize),
        None => {
            cx.error_spanned_by(
                ident,
                "a dynamic label needs a capacity: `#[label(dynamic, capacity = 64)]`",
            );
            None
        }
    };

    // Rule: the label name is a legal, unreserved label name.
    let name = match attrs.string(&cx, "name") {
        Some(lit) => {
            let name = lit.value();
            if let Err(reason) = tally_core::name::check_label_name(&name) {
                cx.error_spanned_by(&lit, format!("invalid label name \"{name}\": {reason}"));
            }
            name
        }
        None => {
            let name = snake_case(&ident.to_string());
            if let Err(reason) = tally_core::name::check_label_name(&name) {
                cx.error_spanned_by(
                    ident,
                    format!("the label name derived from the type, \"{name}\", is invalid: {reason}; set one with `#[label(name = \"...\")]`"),
                );
            }
            name
        }
    };

    // Rule: the type is a non-generic tuple struct holding only the
    // handle's index, so a value can only come from the label's table.
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, "a dynamic label cannot be generic");
    }
    match &input.data {
        Data::Struct(s) if matches!(&s.fields, Fields::Unnamed(f) if f.unnamed.len() == 1) => {}
        _ => cx.error_spanned_by(
            ident,
            "a dynamic label is a tuple struct of one field: `struct Tenant(tally::dynamic_label::DynamicIndex);`",
        ),
    }

    if let Err(errors) = cx.check() {
        return crate::attr::label_value_stub(&krate, input, errors);
    }
    let capacity = capacity.expect("checked");
    quote! {
        #krate::__private::tally_core::dynamic_label!(@impl #ident, name = #name, capacity = #capacity);
    }
}
