//! `#[derive(Metrics)]`: parse (`ast`) -> check (`valid`) -> expand
//! (`expand`), or on any error the errors plus stub impls (`fallback`).

mod ast;
mod duration;
mod expand;
mod fallback;
mod valid;

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
