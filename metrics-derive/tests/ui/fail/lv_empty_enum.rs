#[derive(tally::LabelValue)]
enum Never {}

fn main() {}
