#[derive(tally::LabelSet)]
struct Labels {
    cached: bool,
    #[label(rename = "cached")]
    hit: bool,
}

fn main() {}
