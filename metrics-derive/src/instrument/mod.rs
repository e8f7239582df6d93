//! `#[instrument]`: parse the item (`ast`) and the arguments (`attr`) ->
//! check (`valid`) -> expand (`expand`), or on any error the errors plus
//! the item unchanged (`fallback`), so its callers still compile.

mod ast;
pub(crate) mod attr;
mod expand;
mod fallback;
pub(crate) mod valid;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;

/// Entry point.
pub fn instrument(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = attr::Args::parse(&cx, args);
    let item_tokens = item.clone();
    let item = ast::Item::parse(&cx, item);
    let plan = item.as_ref().map(|item| valid::check(&cx, &args, item));
    match (cx.check(), item, plan) {
        (Ok(()), Some(item), Some(plan)) => expand::expand(&args, &item, &plan),
        (Err(errors), parsed, _) => fallback::expand(parsed.as_ref(), item_tokens, errors),
        (Ok(()), _, _) => unreachable!("an item that does not parse is reported"),
    }
}
