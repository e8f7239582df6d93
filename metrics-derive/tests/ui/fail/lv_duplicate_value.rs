#[derive(tally::LabelValue)]
enum Status {
    Ok,
    #[label(rename = "ok")]
    Fine,
}

fn main() {}
