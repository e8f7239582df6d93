//! Hand-written label types shared by the core tests (the derive comes
//! from `metrics-derive`, which depends on nothing here).
#![allow(dead_code)]

use tally_core::LabelValue;

/// Declares a fieldless enum and its `LabelValue` impl.
macro_rules! label_enum {
    ($name:ident, $label:literal, [$($variant:ident = $text:literal),+ $(,)?]) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl LabelValue for $name {
            const NAME: &'static str = $label;
            const VALUES: &'static [&'static str] = &[$($text),+];

            fn ordinal(&self) -> usize {
                *self as usize
            }

            fn from_ordinal(ordinal: usize) -> Option<Self> {
                [$($name::$variant),+].get(ordinal).copied()
            }
        }
    };
}

label_enum!(
    Method,
    "method",
    [
        Get = "GET",
        Post = "POST",
        Put = "PUT",
        Delete = "DELETE",
        Head = "HEAD",
        Patch = "PATCH"
    ]
);
label_enum!(
    Status,
    "status",
    [Ok = "2xx", ClientError = "4xx", ServerError = "5xx"]
);
label_enum!(
    Route,
    "route",
    [
        Home = "/",
        Api = "/api",
        Login = "/login",
        Static = "/static",
        Health = "/health"
    ]
);
