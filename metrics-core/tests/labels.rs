//! Label sets are bijections onto `0..CARDINALITY`, first label most
//! significant, and their descriptors print the right values.

mod common;

use std::collections::HashSet;

use common::{Method, Route, Status};
use tally_core::{LabelSet, LabelValue};

/// Every index maps to a label set that maps back to it, and nothing past
/// the cardinality maps to anything.
fn assert_bijection<L: LabelSet + std::fmt::Debug>() {
    let mut seen = HashSet::new();
    for index in 0..L::CARDINALITY {
        let labels = L::from_index(index).unwrap_or_else(|| panic!("no labels for index {index}"));
        assert_eq!(labels.index(), index, "{labels:?}");
        assert!(seen.insert(format!("{labels:?}")), "{labels:?} twice");
    }
    assert!(L::from_index(L::CARDINALITY).is_none());
    assert_eq!(L::DESC.cardinality(), L::CARDINALITY);
}

#[test]
fn every_arity_round_trips() {
    assert_bijection::<()>();
    assert_bijection::<bool>();
    assert_bijection::<Method>();
    assert_bijection::<(Method,)>();
    assert_bijection::<(Method, Status)>();
    assert_bijection::<(Method, Status, bool)>();
    assert_bijection::<(Route, Method, Status, bool)>();
    assert_eq!(<(Route, Method, Status, bool)>::CARDINALITY, 5 * 6 * 3 * 2);
}

#[test]
fn index_is_mixed_radix_first_label_most_significant() {
    assert_eq!((Method::Get, Status::Ok).index(), 0);
    assert_eq!((Method::Get, Status::ServerError).index(), 2);
    assert_eq!((Method::Post, Status::Ok).index(), 3);
    assert_eq!(
        (Method::Patch, Status::ServerError, true).index(),
        6 * 3 * 2 - 1
    );
}

#[test]
fn descriptor_gives_names_and_values_of_each_series() {
    let desc = <(Method, Status)>::DESC;
    assert_eq!(desc.names, &["method", "status"]);
    for index in 0..<(Method, Status)>::CARDINALITY {
        let (method, status) = <(Method, Status)>::from_index(index).unwrap();
        let pairs: Vec<_> = desc.pairs(index).collect();
        assert_eq!(
            pairs,
            vec![("method", method.as_str()), ("status", status.as_str())]
        );
    }
    assert_eq!(<()>::DESC.pairs(0).count(), 0);
    assert_eq!(bool::DESC.value(1, 0), "true");
}
