#[derive(tally::LabelValue)]
#[label(name = "__name__")]
enum Name {
    A,
    B,
}

fn main() {}
