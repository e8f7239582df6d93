//! On any error: the errors, and the item as written (its attribute
//! removed), so code calling the function does not add errors of its own.

use proc_macro2::TokenStream;
use quote::quote;

use super::ast::{is_instrument, Item};

/// The errors plus the untouched item (`tokens` if it is not one the
/// attribute takes).
pub fn expand(item: Option<&Item>, tokens: TokenStream, errors: TokenStream) -> TokenStream {
    match item {
        Some(Item::Fn(f)) => quote!(#errors #f),
        Some(Item::Impl(i)) => {
            let mut i = i.clone();
            for item in &mut i.items {
                if let syn::ImplItem::Fn(f) = item {
                    f.attrs.retain(|a| !is_instrument(a));
                }
            }
            quote!(#errors #i)
        }
        // Not a function (a struct, ...): keep it, for its other uses.
        None => quote!(#errors #tokens),
    }
}
