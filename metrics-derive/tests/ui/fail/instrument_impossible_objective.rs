#[tally::instrument(objective(success = 101))]
fn checkout() {}

#[tally::instrument(objective(latency = "200ms", latency_target = 99.0))]
fn search() {}

#[tally::instrument(objective(latency = "250ms"))]
fn browse() {}

fn main() {
    checkout();
    search();
    browse();
}
