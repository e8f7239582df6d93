#[derive(tally::LabelValue)]
enum Method {
    Get,
    Other(String),
}

fn main() {}
