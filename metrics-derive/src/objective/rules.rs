//! An objective's rules, one function each, all reported at once: it
//! sets `success` and/or `latency`; a percentage is strictly between 0
//! and 100 (100% leaves no error budget: every failure would page);
//! `latency` and `latency_target` come together; the latency threshold is
//! one of the latency histogram's bucket bounds (Prometheus counts calls
//! under a bound, not between); the window is a duration of at least one
//! minute. For `#[tally::instrument(objective(...))]` and
//! `#[metric(objective(...))]` alike.

use proc_macro2::TokenStream;
use quote::quote;

use super::args::{Number, ObjectiveArgs};
use crate::ctxt::Ctxt;

/// A checked objective.
#[derive(Clone, Copy)]
pub struct Objective {
    pub success: Option<f64>,
    pub latency: Option<(f64, f64)>,
    pub window_secs: u64,
}

impl Objective {
    /// The `Option<Objective>` expression, under `p`
    /// (`<facade>::__private::instrument`).
    pub fn tokens(objective: Option<Objective>, p: &TokenStream) -> TokenStream {
        match objective {
            Some(o) => {
                let o = o.expr(p);
                quote!(::core::option::Option::Some(#o))
            }
            None => quote!(::core::option::Option::None),
        }
    }

    /// The `Objective` expression, under `p`.
    pub fn expr(self, p: &TokenStream) -> TokenStream {
        let o = self;
        let success = match o.success {
            Some(s) => quote!(::core::option::Option::Some(#s)),
            None => quote!(::core::option::Option::None),
        };
        let latency = match o.latency {
            Some((threshold, target)) => quote!(::core::option::Option::Some(
                #p::LatencyObjective { threshold: #threshold, target: #target }
            )),
            None => quote!(::core::option::Option::None),
        };
        let window = o.window_secs;
        quote!(#p::Objective {
            success: #success,
            latency: #latency,
            window: ::core::time::Duration::from_secs(#window),
        })
    }
}

/// The objective's rules, for a latency histogram `histogram` whose
/// classic bucket bounds (seconds) are `buckets`.
pub fn check(cx: &Ctxt, o: &ObjectiveArgs, buckets: &[f64], histogram: &str) -> Option<Objective> {
    let errors_before = cx.has_errors();
    let success = o
        .success
        .as_ref()
        .and_then(|n| percentage(cx, n, "success"));
    let target = o
        .latency_target
        .as_ref()
        .and_then(|n| percentage(cx, n, "latency_target"));
    let threshold = o
        .latency
        .as_ref()
        .and_then(|l| threshold(cx, l, buckets, histogram));
    let key = o.key.as_ref();
    match (&o.latency, &o.latency_target) {
        (Some(l), None) => cx.error_spanned_by(
            l,
            "a latency objective needs its target: add `latency_target = 99.0` (the percentage of calls at or under the latency)",
        ),
        (None, Some(t)) => cx.error_spanned_by(
            &t.lit,
            "`latency_target` needs the latency it applies to: add `latency = \"250ms\"`",
        ),
        _ => {}
    }
    if o.success.is_none() && o.latency.is_none() && o.latency_target.is_none() {
        if let Some(key) = key {
            cx.error_spanned_by(
                key,
                "an objective needs `success = <percentage>` and/or `latency = \"<duration>\", latency_target = <percentage>`",
            );
        }
    }
    let window_secs = match &o.window {
        None => Some(30 * 24 * 3600),
        Some(w) => match parse_seconds(&w.value()) {
            Ok(secs) if secs >= 60 => Some(secs),
            Ok(_) => {
                cx.error_spanned_by(
                    w,
                    "an objective's window must be at least one minute (e.g. \"30d\", \"7d\", \"1h\")",
                );
                None
            }
            Err(e) => {
                cx.error_spanned_by(w, e);
                None
            }
        },
    };
    if cx.has_errors() && !errors_before {
        return None;
    }
    Some(Objective {
        success,
        latency: threshold.zip(target),
        window_secs: window_secs?,
    })
}

/// A percentage strictly between 0 and 100.
fn percentage(cx: &Ctxt, n: &Number, key: &str) -> Option<f64> {
    if n.value > 0.0 && n.value < 100.0 {
        return Some(n.value);
    }
    let why = if n.value >= 100.0 {
        "100% or more is impossible to meet and leaves no error budget"
    } else {
        "it must be above 0"
    };
    cx.error_spanned_by(
        &n.lit,
        format!(
            "`{key} = {}` is not an attainable objective: a percentage strictly between 0 and 100 (e.g. 99.9); {why}",
            n.value
        ),
    );
    None
}

/// The latency threshold, in seconds: one of the latency buckets.
fn threshold(cx: &Ctxt, latency: &syn::LitStr, buckets: &[f64], histogram: &str) -> Option<f64> {
    let nanos = match parse_nanos(&latency.value()) {
        Ok(n) => n,
        Err(e) => {
            cx.error_spanned_by(latency, e);
            return None;
        }
    };
    let secs = nanos as f64 / 1e9;
    if let Some(&b) = buckets.iter().find(|&&b| (b - secs).abs() <= b * 1e-9) {
        return Some(b);
    }
    let listed: Vec<String> = buckets.iter().map(|b| human(*b)).collect();
    cx.error_spanned_by(
        latency,
        format!(
            "latency `{}` is not a bucket bound of `{histogram}`, so Prometheus cannot count the calls under it; use one of {}",
            latency.value(),
            listed.join(", ")
        ),
    );
    None
}

/// `0.25` -> `"250ms"`.
fn human(secs: f64) -> String {
    if secs >= 1.0 {
        format!("\"{secs}s\"")
    } else if secs >= 1e-3 {
        format!("\"{}ms\"", round(secs * 1e3))
    } else {
        format!("\"{}us\"", round(secs * 1e6))
    }
}

fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

const UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("min", 60.0),
    ("m", 60.0),
    ("h", 3600.0),
    ("d", 86400.0),
    ("w", 604800.0),
];

/// Seconds in `"30d"`, `"1h"`, `"250ms"`.
fn parse_duration(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let Some(&(_, scale)) = UNITS.iter().find(|(s, _)| *s == suffix.trim()) else {
        return Err(format!(
            "`{text}` is not a duration: expected a number with a unit suffix (`ms`, `s`, `m`, `h`, `d`, `w`), e.g. \"250ms\" or \"30d\""
        ));
    };
    let value: f64 = number
        .replace('_', "")
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: `{number}` is not a number"))?;
    let secs = value * scale;
    if !(secs.is_finite() && secs > 0.0 && secs < 1e10) {
        return Err(format!("`{text}` is not a usable duration"));
    }
    Ok(secs)
}

fn parse_nanos(text: &str) -> Result<u64, String> {
    parse_duration(text).map(|s| (s * 1e9).round() as u64)
}

fn parse_seconds(text: &str) -> Result<u64, String> {
    parse_duration(text).map(|s| s.round() as u64)
}
