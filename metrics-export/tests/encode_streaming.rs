//! `encode_registry`, which reads and encodes one family at a time, writes
//! the bytes `encode_with` writes from a whole snapshot, in every format.

mod support;

use support::fixture;
use tally_core::{Counter, Desc, Histogram, Registry};
use tally_export::{encode_registry, encode_with, EncodeOptions, Format};

const FORMATS: [Format; 4] = [
    Format::PrometheusText,
    Format::OpenMetrics,
    Format::Protobuf,
    Format::Json,
];

fn both(registry: &Registry, format: Format, options: &EncodeOptions) -> (Vec<u8>, Vec<u8>) {
    let mut whole = Vec::new();
    encode_with(format, &registry.snapshot(), options, &mut whole);
    let mut streamed = Vec::new();
    encode_registry(format, registry, options, &mut streamed);
    (whole, streamed)
}

/// Every kind the fixture holds (counters with exemplars, gauges,
/// histograms with quantiles and exemplars, constant labels that need
/// escaping), with and without `_created`.
#[test]
fn streamed_encodings_equal_whole_snapshot_encodings() {
    let f = fixture();
    for created in [None, Some(1_700_000_000.5)] {
        let options = EncodeOptions { created };
        for format in FORMATS {
            let (whole, streamed) = both(&f.registry, format, &options);
            assert!(!whole.is_empty(), "{format:?}");
            assert_eq!(
                String::from_utf8_lossy(&streamed),
                String::from_utf8_lossy(&whole),
                "{format:?}, created {created:?}"
            );
        }
    }
}

/// Many families (the buffers kept from one family to the next must not
/// leak a family's labels into the next), appended after what `out`
/// already holds.
#[test]
fn many_families_stream_like_one_snapshot() {
    let registry = Registry::builder()
        .const_label("env", "prod")
        .build()
        .unwrap();
    let (mut counters, mut histograms) = (Vec::new(), Vec::new());
    for i in 0..50u64 {
        let c = registry
            .register(
                Desc::new(format!("c{i}_total"), "A counter."),
                Counter::<bool>::new(),
            )
            .unwrap();
        c.with(i % 2 == 0).add(i + 1);
        counters.push(c);
        if i % 10 == 0 {
            let h = registry
                .register(
                    Desc::new(format!("h{i}"), "A histogram."),
                    Histogram::<()>::new(),
                )
                .unwrap();
            h.record(i * 1_000 + 1);
            histograms.push(h);
        }
    }
    for format in [Format::PrometheusText, Format::OpenMetrics] {
        let mut streamed = b"prefix\n".to_vec();
        encode_registry(format, &registry, &EncodeOptions::default(), &mut streamed);
        let mut whole = b"prefix\n".to_vec();
        encode_with(
            format,
            &registry.snapshot(),
            &EncodeOptions::default(),
            &mut whole,
        );
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            String::from_utf8(whole).unwrap()
        );
    }
}
