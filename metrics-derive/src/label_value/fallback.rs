//! On any error: the errors plus a stub `LabelValue` impl, which keeps
//! the type usable as a label elsewhere so its uses do not add errors to
//! the real ones.

use proc_macro2::TokenStream;
use quote::quote;

use super::ast::Input;

/// `errors` and the stub.
pub fn expand(input: &Input, errors: TokenStream) -> TokenStream {
    let krate = &input.krate;
    let ident = input.ident;
    let generics = crate::attr::stub_generics(input.generics);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        #errors
        #[automatically_derived]
        impl #impl_generics #krate::__private::LabelValue for #ident #ty_generics #where_clause {
            const NAME: &'static ::core::primitive::str = "";
            const VALUES: &'static [&'static ::core::primitive::str] = &[];
            fn ordinal(&self) -> ::core::primitive::usize {
                ::core::unreachable!()
            }
            fn from_ordinal(_: ::core::primitive::usize) -> ::core::option::Option<Self> {
                ::core::option::Option::None
            }
        }
    }
}
