// An idle time of 0 seconds is refused, on the derive's attribute.
#[derive(tally::LabelValue, Clone, Copy)]
#[label(dynamic, name = "tenant", capacity = 4, idle_secs = 0)]
pub struct Tenant(tally::dynamic_label::DynamicIndex);

fn main() {}
