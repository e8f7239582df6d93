#[tally::instrument(nmae = "checkout")]
fn checkout() {}

#[tally::instrument(objective(succes = 99.9))]
fn pay() {}

fn main() {
    checkout();
    pay();
}
