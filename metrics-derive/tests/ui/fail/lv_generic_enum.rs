#[derive(tally::LabelValue)]
enum Choice<const N: usize> {
    A,
    B,
}

fn main() {}
