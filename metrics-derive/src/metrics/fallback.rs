//! What `#[derive(Metrics)]` emits when the input has errors: the errors,
//! plus impls with the generated API's signatures and panicking bodies, so
//! code that uses the struct (`Stats::global().x.inc()`, `impl` blocks)
//! compiles on and the user sees only the real mistakes.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::ast::Input;

/// The errors and the stubs.
pub fn expand(input: &Input, errors: TokenStream) -> TokenStream {
    let ident = input.ident;
    let krate = &input.krate;
    let p = quote!(#krate::__private);
    let generics = crate::attr::stub_generics(input.generics);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let stubs = quote! {
        #[automatically_derived]
        impl #impl_generics #p::Collector for #ident #ty_generics #where_clause {
            fn for_each_family(
                &self,
                _: &mut dyn ::core::ops::FnMut(&#p::Desc, &dyn #p::Metric),
            ) {
            }
        }

        #[allow(dead_code, clippy::all)]
        impl #impl_generics #ident #ty_generics #where_clause {
            /// Stub: the derive failed.
            pub fn global() -> &'static Self {
                ::core::unimplemented!()
            }
            /// Stub: the derive failed.
            pub fn try_global() -> ::core::result::Result<&'static Self, #p::RegistryError> {
                ::core::unimplemented!()
            }
        }
    };
    // A label type taken for unbounded (no error of ours, rustc reports
    // it) must really not be a `LabelSet`, or the stubs would compile
    // silently: assert it (an inherent const that exists only when the
    // bound holds shadows the trait's `false`).
    let guards = input
        .fields
        .iter()
        .filter_map(|f| f.labels.as_ref())
        .filter(|labels| super::ast::obviously_unbounded(labels))
        .map(|labels| {
            quote_spanned! {labels.span()=>
                const _: () = {
                    struct Probe<T: ?::core::marker::Sized>(::core::marker::PhantomData<T>);
                    trait NotLabelSet {
                        const IS: ::core::primitive::bool = false;
                    }
                    impl<T: ?::core::marker::Sized> NotLabelSet for Probe<T> {}
                    #[allow(dead_code)]
                    impl<T: #p::LabelSet> Probe<T> {
                        const IS: ::core::primitive::bool = true;
                    }
                    ::core::assert!(
                        !<Probe<#labels>>::IS,
                        "this label type is named like a built-in unbounded type (`String`, `str`, an integer, ...), which `#[derive(Metrics)]` refuses; rename it",
                    );
                };
            }
        });
    quote! {
        #errors
        #(#guards)*

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

        #stubs
    }
}
