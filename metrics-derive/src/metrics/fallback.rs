//! What `#[derive(Metrics)]` emits when the input has errors: the errors,
//! plus impls with the generated API's signatures and panicking bodies, so
//! code that uses the struct (`Stats::global().x.inc()`, `impl` blocks)
//! compiles on and the user sees only the real mistakes.

use proc_macro2::TokenStream;
use quote::quote;

use super::ast::Input;

/// The errors and the stubs.
pub fn expand(input: &Input, errors: TokenStream) -> TokenStream {
    let ident = input.ident;
    let krate = &input.krate;
    let p = quote!(#krate::__private);
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let generic = !input.generics.params.is_empty();
    // `&'static Self` and `Collector` (`Send + Sync`) may not hold for a
    // generic struct; it gets only the constructors.
    let non_generic = (!generic).then(|| {
        quote! {
            #[automatically_derived]
            impl #p::Collector for #ident {
                fn for_each_family(
                    &self,
                    _: &mut dyn ::core::ops::FnMut(&#p::Desc, &dyn #p::Metric),
                ) {
                }
            }

            #[allow(dead_code, clippy::all)]
            impl #ident {
                /// Stub: the derive failed.
                pub fn global() -> &'static Self {
                    ::core::unimplemented!()
                }
                /// Stub: the derive failed.
                pub fn try_global() -> ::core::result::Result<&'static Self, #p::RegistryError> {
                    ::core::unimplemented!()
                }
            }
        }
    });
    quote! {
        #errors

        #[allow(dead_code, clippy::all)]
        impl #impl_generics #ident #ty_generics #where_clause {
            /// Stub: the derive failed.
            pub fn new() -> Self {
                ::core::unimplemented!()
            }
            /// Stub: the derive failed.
            pub fn register(
                _: &#p::Registry,
            ) -> ::core::result::Result<#p::Arc<Self>, #p::RegistryError> {
                ::core::unimplemented!()
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::default::Default for #ident #ty_generics #where_clause {
            fn default() -> Self {
                ::core::unimplemented!()
            }
        }

        #non_generic
    }
}
