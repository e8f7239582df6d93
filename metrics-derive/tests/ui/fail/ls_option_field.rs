#[derive(tally::LabelValue, Clone, Copy)]
enum Method {
    Get,
    Post,
}

#[derive(tally::LabelSet)]
struct Labels {
    method: Option<Method>,
}

fn main() {}
