//! `#[derive(LabelValue)]` and `#[derive(LabelSet)]`: names, values,
//! ordinals, and a struct label set indexing exactly like the equivalent
//! tuple (mixed radix, first field most significant).

use tally::registry::Metric;
use tally::{Counter, LabelSet, LabelValue};

#[derive(LabelValue, Clone, Copy, Debug, PartialEq)]
enum HTTPMethod {
    Get,
    Post,
    Put,
}

#[derive(LabelValue, Clone, Copy, Debug, PartialEq)]
#[label(name = "status_class", rename_all = "lowercase")]
enum StatusClass {
    Informational,
    Success,
    #[label(rename = "5xx")]
    ServerError,
}

#[derive(LabelValue, Clone, Copy, Debug, PartialEq)]
#[label(rename_all = "kebab-case")]
enum CacheResult {
    FreshHit,
    StaleHit,
    Miss,
}

#[derive(LabelValue, Clone, Copy, Debug, PartialEq)]
#[label(rename_all = "SCREAMING_SNAKE_CASE")]
enum Region {
    UsEast1,
}

#[derive(LabelSet, Debug, PartialEq)]
struct Request {
    method: HTTPMethod,
    #[label(rename = "status")]
    class: StatusClass,
    cached: bool,
}

#[test]
fn label_value_names_and_values() {
    assert_eq!(HTTPMethod::NAME, "http_method");
    assert_eq!(HTTPMethod::VALUES, &["get", "post", "put"]);
    assert_eq!(<HTTPMethod as LabelValue>::CARDINALITY, 3);
    assert_eq!(StatusClass::NAME, "status_class");
    assert_eq!(StatusClass::VALUES, &["informational", "success", "5xx"]);
    assert_eq!(CacheResult::NAME, "cache_result");
    assert_eq!(CacheResult::VALUES, &["fresh-hit", "stale-hit", "miss"]);
    assert_eq!(Region::VALUES, &["US_EAST1"]);
}

#[test]
fn label_value_ordinals_round_trip() {
    for (i, m) in [HTTPMethod::Get, HTTPMethod::Post, HTTPMethod::Put]
        .into_iter()
        .enumerate()
    {
        assert_eq!(m.ordinal(), i);
        assert_eq!(HTTPMethod::from_ordinal(i), Some(m));
        assert_eq!(m.as_str(), HTTPMethod::VALUES[i]);
    }
    assert_eq!(HTTPMethod::from_ordinal(3), None);
    assert_eq!(StatusClass::ServerError.as_str(), "5xx");
}

#[test]
fn label_set_struct_matches_tuple_indexing() {
    type Tuple = (HTTPMethod, StatusClass, bool);
    assert_eq!(Request::CARDINALITY, 18);
    assert_eq!(Request::CARDINALITY, <Tuple as LabelSet>::CARDINALITY);
    assert_eq!(Request::DESC.names, &["method", "status", "cached"]);
    assert_eq!(Request::DESC.values, <Tuple as LabelSet>::DESC.values);
    let mut seen = [false; Request::CARDINALITY];
    for m in [HTTPMethod::Get, HTTPMethod::Post, HTTPMethod::Put] {
        for c in [
            StatusClass::Informational,
            StatusClass::Success,
            StatusClass::ServerError,
        ] {
            for b in [false, true] {
                let r = Request {
                    method: m,
                    class: c,
                    cached: b,
                };
                let i = r.index();
                assert_eq!(i, (m, c, b).index(), "same mixed radix as the tuple");
                assert_eq!(i, (m.ordinal() * 3 + c.ordinal()) * 2 + b as usize);
                assert!(!seen[i]);
                seen[i] = true;
                assert_eq!(Request::from_index(i), Some(r));
            }
        }
    }
    assert!(seen.iter().all(|s| *s));
    assert_eq!(Request::from_index(18), None);
}

#[test]
fn label_set_struct_drives_a_family() {
    let family: Counter<Request> = Counter::new();
    family
        .with(Request {
            method: HTTPMethod::Put,
            class: StatusClass::ServerError,
            cached: true,
        })
        .add(2);
    let collected = family.collect().unwrap();
    assert_eq!(collected.series.len(), 18);
    let hot: Vec<_> = collected
        .series
        .iter()
        .filter(|s| s.value.as_f64() == Some(2.0))
        .map(|s| Metric::labels(&family).pairs(s.index).collect::<Vec<_>>())
        .collect();
    assert_eq!(
        hot,
        [vec![
            ("method", "put"),
            ("status", "5xx"),
            ("cached", "true")
        ]]
    );
}
