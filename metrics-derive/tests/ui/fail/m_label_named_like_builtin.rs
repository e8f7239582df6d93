// A label enum named like a built-in unbounded type (`String`) is refused
// rather than silently stubbed: the derive takes `Counter<String>` for the
// std type, which rustc reports itself.
use tally::Counter;

#[derive(tally::LabelValue, Clone, Copy)]
#[label(name = "kind")]
enum String {
    Short,
    Long,
}

#[derive(tally::Metrics)]
struct Stats {
    requests: Counter<String>,
}

fn main() {
    Stats::new().requests.with(String::Long).inc();
}
