#[derive(tally::LabelValue)]
#[label(name = "http-method")]
enum Method {
    Get,
    Post,
}

fn main() {}
