#[derive(tally::LabelValue, Clone, Copy)]
enum Method {
    Get,
    Post,
}

#[derive(tally::LabelSet)]
struct Labels {
    method: Method,
    path: String,
}

fn main() {}
