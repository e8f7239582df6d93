// A dynamic label's derive needs a capacity of at least 1, a valid label
// name and a one-field tuple struct; every mistake is reported.
#[derive(tally::LabelValue, Clone, Copy)]
#[label(dynamic, name = "le", capacity = 0)]
struct Tenant(tally::dynamic_label::DynamicIndex);

#[derive(tally::LabelValue, Clone, Copy)]
#[label(dynamic)]
struct Host {
    index: tally::dynamic_label::DynamicIndex,
}

fn main() {}
