#[derive(tally::LabelSet)]
struct Labels {
    status: u32,
}

fn main() {}
