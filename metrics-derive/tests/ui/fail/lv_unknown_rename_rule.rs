#[derive(tally::LabelValue)]
#[label(rename_all = "camelCase")]
enum Method {
    Get,
    Post,
}

fn main() {}
