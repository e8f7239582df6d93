use tally::Counter;

#[derive(tally::LabelValue, Clone, Copy)]
enum Peer {
    Primary,
    Replica,
}

#[derive(tally::Metrics)]
struct Stats {
    /// From and to, both named `peer`.
    transfers: Counter<(Peer, Peer)>,
}

fn main() {}
