// Only Counter, Gauge and Histogram families take a label whose values
// expire: a FloatGauge of one is refused at compile time, naming the
// family type.
tally::dynamic_label!(pub Tenant, name = "tenant", capacity = 4, idle_secs = 3600);

fn main() {
    let _ = tally::FloatGauge::<Tenant>::new();
}
