//! `#[derive(LabelValue)]`: a fieldless enum as a bounded label, or with
//! `#[label(dynamic, capacity = N)]` on `struct Tenant(DynamicIndex);` a
//! runtime-bounded label (the derive form of `tally::dynamic_label!`).
//!
//! Both forms go through the same steps as `#[derive(Metrics)]`: parse
//! (`ast`) -> check (`valid`) -> expand (`expand`), or on any error the
//! errors plus a stub impl (`fallback`), so the type's uses elsewhere do
//! not cascade.

mod ast;
mod expand;
mod fallback;
mod valid;

pub use valid::explicit_label_name;

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::ctxt::Ctxt;

/// Entry point.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let ast = ast::Input::from_syn(&cx, input);
    let plan = valid::check(&cx, &ast);
    match cx.check() {
        Ok(()) => expand::expand(&ast, &plan),
        Err(errors) => fallback::expand(&ast, errors),
    }
}
