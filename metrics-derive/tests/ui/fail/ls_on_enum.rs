#[derive(tally::LabelSet)]
enum Labels {
    A,
    B,
}

fn main() {}
