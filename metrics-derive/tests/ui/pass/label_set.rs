use tally::{Counter, LabelSet};

#[derive(tally::LabelValue, Clone, Copy)]
enum Method {
    Get,
    Post,
}

#[derive(tally::LabelSet)]
struct Labels {
    method: Method,
    #[label(rename = "cached")]
    hit: bool,
    r#type: bool,
}

// An empty struct is a label set of one series, like `()`.
#[derive(tally::LabelSet)]
struct NoLabels {}

fn main() {
    assert_eq!(Labels::CARDINALITY, 8);
    assert_eq!(Labels::DESC.names, &["method", "cached", "type"]);
    assert_eq!(NoLabels::CARDINALITY, 1);
    let family: Counter<Labels> = Counter::new();
    family
        .with(Labels {
            method: Method::Post,
            hit: false,
            r#type: true,
        })
        .inc();
}
