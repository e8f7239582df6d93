//! The derives' output names only absolute paths: it compiles in a crate
//! without the prelude that shadows the names generated code could
//! otherwise pick up (`Option`, `Result`, `Some`, `Ok`, `Default`, `Arc`,
//! `core`, `std`, primitive type names, ...), and still works.

#![no_implicit_prelude]
#![allow(dead_code, non_camel_case_types, unused_macros, clippy::all)]

// Shadows. `::core` and `::std` paths still mean the crates; anything
// relative would hit these.
mod core {}
mod std {}
mod tally_shadow {}
struct Option;
struct Result;
struct Some;
struct None;
struct Ok;
struct Err;
struct Default;
struct Arc;
struct OnceLock;
struct Box;
struct Vec;
struct String;
struct usize;
struct str;
struct u8;
struct Send;
struct Sync;
struct Sized;
struct PhantomData;
struct Registry;
struct Desc;
struct Collector;
struct Metric;
struct LabelValue;
struct LabelSet;
struct LabelDesc;
struct Unit;
struct HistogramConfig;
struct RegistryError;
struct DESC;
struct GLOBAL;
macro_rules! panic {
    ($($t:tt)*) => {
        compile_error!("a shadowed macro was used")
    };
}
macro_rules! assert {
    ($($t:tt)*) => {
        compile_error!("a shadowed macro was used")
    };
}
macro_rules! eprintln {
    ($($t:tt)*) => {
        compile_error!("a shadowed macro was used")
    };
}
macro_rules! unimplemented {
    ($($t:tt)*) => {
        compile_error!("a shadowed macro was used")
    };
}

#[derive(::tally::LabelValue, ::core::clone::Clone, ::core::marker::Copy)]
enum Method {
    Get,
    Post,
}

#[derive(::tally::LabelSet)]
struct Labels {
    method: Method,
    // Fields named like the generated code's locals.
    index: Method,
}

#[derive(::tally::Metrics)]
#[metrics(prefix = "inner")]
struct Inner {
    /// Inner hits.
    hits: ::tally::Counter,
}

#[derive(::tally::Metrics)]
#[metrics(prefix = "hygiene")]
struct Stats {
    /// Requests.
    requests: ::tally::Counter<Labels>,
    /// Latency.
    #[metric(unit = "seconds", highest = "1s", buckets = [0.1, 0.5], quantiles = [0.5])]
    latency: ::tally::Histogram<Method>,
    #[metric(unit = "bytes", highest = 4096)]
    sizes: ::tally::Histogram,
    level: ::tally::Gauge,
    #[metric(flatten, prefix = "sub")]
    inner: Inner,
}

#[::core::prelude::v1::test]
fn derives_work_without_prelude() {
    let registry = ::tally::Registry::new();
    let stats = match Stats::register(&registry) {
        ::core::result::Result::Ok(stats) => stats,
        ::core::result::Result::Err(error) => ::core::panic!("{}", error),
    };
    stats
        .requests
        .with(Labels {
            method: Method::Post,
            index: Method::Get,
        })
        .add(3);
    stats.latency.with(Method::Get).record(1_000);
    stats.sizes.record(100);
    stats.level.set(-4);
    stats.inner.hits.inc();

    let snapshot = registry.snapshot();
    let names: ::std::vec::Vec<&::core::primitive::str> = ::core::iter::Iterator::collect(
        ::core::iter::Iterator::map(snapshot.families.iter(), |f| f.name.as_str()),
    );
    ::core::assert_eq!(
        names,
        [
            "hygiene_requests",
            "hygiene_latency_seconds",
            "hygiene_sizes_bytes",
            "hygiene_level",
            "hygiene_sub_inner_hits"
        ]
    );
    let requests = &snapshot.families[0];
    // (Post, Get): index 1 * 2 + 0.
    ::core::assert!(::core::matches!(
        requests.series[2].value,
        ::tally::snapshot::Value::Counter(3)
    ));
    ::core::assert_eq!(requests.labels.names, &["method", "index"]);
    ::core::assert!(::core::matches!(
        snapshot.families[3].series[0].value,
        ::tally::snapshot::Value::Gauge(-4)
    ));
    ::core::assert!(::core::matches!(
        snapshot.families[4].series[0].value,
        ::tally::snapshot::Value::Counter(1)
    ));
    ::core::assert_eq!(<Labels as ::tally::LabelSet>::CARDINALITY, 4);
    ::core::assert!(::core::option::Option::is_some(
        &<Labels as ::tally::LabelSet>::from_index(3)
    ));
    ::core::assert!(::core::result::Result::is_ok(&Inner::try_global()));
    let _: &Stats = Stats::global();
    let _ = <Stats as ::core::default::Default>::default();
}
