#[derive(tally::LabelValue)]
enum Method {
    #[label(name = "GET")]
    Get,
    Post,
}

fn main() {}
