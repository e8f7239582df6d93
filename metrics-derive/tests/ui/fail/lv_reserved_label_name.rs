#[derive(tally::LabelValue)]
#[label(name = "le")]
enum Bound {
    Low,
    High,
}

fn main() {}
