use tally::Counter;

#[derive(tally::Metrics)]
struct Pool {
    acquired: Counter,
}

#[derive(tally::Metrics)]
struct Stats {
    #[metric(flatten, prefix = "db")]
    primary: Pool,
    /// Same struct, same prefix: `db_acquired` twice.
    #[metric(flatten, prefix = "db")]
    replica: Pool,
}

fn main() {}
