// The attribute in a crate that shadows prelude names, on every kind of
// function it takes.
#![allow(dead_code)]

struct Result;
struct Option;

#[derive(tally::LabelValue, Clone, Copy)]
enum Failure {
    Busy,
}

#[tally::instrument(objective(success = 99.5, window = "1h"))]
fn work(n: u32) -> ::core::result::Result<u32, Failure> {
    if n == 0 {
        return ::core::result::Result::Err(Failure::Busy);
    }
    ::core::result::Result::Ok(n)
}

#[tally::instrument]
async fn fetch() -> u32 {
    1
}

trait Named {
    fn name(&self) -> &'static str;
}

struct Thing;

#[tally::instrument(objective(latency = "100ms", latency_target = 95))]
impl Named for Thing {
    fn name(&self) -> &'static str {
        "thing"
    }
}

fn main() {
    let _ = work(1);
    let _ = fetch();
    let _ = Thing.name();
}
