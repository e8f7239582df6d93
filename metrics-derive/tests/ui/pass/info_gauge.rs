//! `*_info` is a legal gauge name: the conventional `build_info{...} 1`.

use tally::{Gauge, Registry};

#[derive(tally::LabelValue, Clone, Copy)]
enum Version {
    #[label(rename = "1.2.3")]
    Current,
}

#[derive(tally::Metrics)]
struct Build {
    /// Build information, as labels of a constant 1.
    build_info: Gauge<Version>,
}

fn main() {
    let registry = Registry::new();
    let build = Build::register(&registry).expect("`build_info` is a legal gauge name");
    build.build_info.with(Version::Current).set(1);
    assert_eq!(registry.snapshot().families[0].name, "build_info");
}
