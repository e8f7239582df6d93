//! Prometheus text 0.0.4: escaping, special floats, `le` formatting,
//! bucket cumulativity, `+Inf == _count`, family grouping.

mod support;

use metrics_export::{encode, Format};
use support::fixture;

fn text() -> String {
    let f = fixture();
    let mut out = Vec::new();
    encode(Format::PrometheusText, &f.registry.snapshot(), &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn dump() {
    println!("{}", text());
}
