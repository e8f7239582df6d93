#[derive(tally::LabelValue)]
#[label(nmae = "method")]
enum Method {
    Get,
    Post,
}

fn main() {}
