// The label name defaults to the type name in snake_case: `le`, reserved.
#[derive(tally::LabelValue)]
enum Le {
    Low,
    High,
}

fn main() {}
