//! The tokens of a checked label type: `impl LabelValue` for an enum, or
//! the impls of `dynamic_label!` for a dynamic label.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

use super::ast::{Body, Input};
use super::valid::Plan;

/// The impls of `input`, as `plan` decided them.
pub fn expand(input: &Input, plan: &Plan) -> TokenStream {
    let krate = &input.krate;
    let ident = input.ident;
    let name = &plan.name;
    match &input.body {
        Body::Dynamic { .. } => {
            let capacity = plan.capacity;
            let idle = plan.idle_secs.map(|secs| quote!(, idle_secs = #secs));
            quote! {
                #krate::__private::tally_core::dynamic_label!(@impl #ident, name = #name, capacity = #capacity #idle);
            }
        }
        Body::Enum { variants, .. } => {
            let p = quote!(#krate::__private);
            let values = &plan.values;
            let idents: Vec<&Ident> = variants.iter().map(|v| v.ident).collect();
            let ordinals: Vec<usize> = (0..variants.len()).collect();
            quote! {
                #[automatically_derived]
                impl #p::LabelValue for #ident {
                    const NAME: &'static ::core::primitive::str = #name;
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
        // `valid` refuses these: expansion is never reached for them.
        Body::Struct(_) | Body::Union(_) => TokenStream::new(),
    }
}
