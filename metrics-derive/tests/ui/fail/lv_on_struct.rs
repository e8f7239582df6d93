#[derive(tally::LabelValue)]
struct Method {
    name: String,
}

fn main() {}
