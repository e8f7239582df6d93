//! Registration rules (conflicts and bad metadata are `Err`, never a
//! panic; a collector registers all or nothing) and what snapshots hold.

mod common;

use common::{Method, Status};
use tally_core::{
    Collector, Computed, Counter, Desc, FloatCounter, FloatGauge, Gauge, Histogram, LabelValue,
    MaxGauge, Metric, MetricKind, MinGauge, Registry, RegistryError, Unit, Value,
};

#[test]
fn duplicate_names_are_refused() {
    let registry = Registry::new();
    registry
        .register(Desc::new("jobs", "Jobs."), Counter::<()>::new())
        .unwrap();
    let err = registry
        .register(Desc::new("jobs", "Again."), Gauge::<()>::new())
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::Duplicate {
            name: "jobs".into()
        }
    );
    // `jobs_total` is the same counter family once `_total` is stripped.
    let err = registry
        .register(Desc::new("jobs_total", "Again."), Counter::<()>::new())
        .unwrap_err();
    assert!(matches!(err, RegistryError::Duplicate { .. }), "{err}");
    assert!(err.to_string().contains("already registered"));
}

#[test]
fn invalid_metadata_is_refused_with_a_reason() {
    let registry = Registry::new();
    let err = registry
        .register(Desc::new("bad-name", "x"), Gauge::<()>::new())
        .unwrap_err();
    assert!(matches!(err, RegistryError::InvalidName { .. }), "{err}");
    let err = registry
        .register(Desc::new("queue_count", "x"), Gauge::<()>::new())
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::ReservedSuffix {
            name: "queue_count".into(),
            suffix: "_count"
        }
    );
    let err = registry
        .register(
            Desc::new("wait", "x").with_unit(Unit::new("milliseconds")),
            Gauge::<()>::new(),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("use the base unit `seconds`"),
        "{err}"
    );
    assert!(
        registry.snapshot().families.is_empty(),
        "nothing was registered"
    );
}

/// A label type whose name is not a legal label name.
struct Bad;
impl LabelValue for Bad {
    const NAME: &'static str = "__bad";
    const VALUES: &'static [&'static str] = &["x"];
    fn ordinal(&self) -> usize {
        0
    }
    fn from_ordinal(_: usize) -> Option<Self> {
        Some(Bad)
    }
}

#[test]
fn bad_and_clashing_label_names_are_refused() {
    let registry = Registry::builder()
        .const_label("method", "x")
        .build()
        .unwrap();
    let err = registry
        .register(Desc::new("a", "x"), Counter::<Bad>::new())
        .unwrap_err();
    assert!(matches!(err, RegistryError::InvalidLabel { .. }), "{err}");
    let err = registry
        .register(Desc::new("b", "x"), Counter::<Method>::new())
        .unwrap_err();
    assert!(matches!(err, RegistryError::DuplicateLabel { .. }), "{err}");
    let err = registry
        .register(Desc::new("c", "x"), Counter::<(Status, Status)>::new())
        .unwrap_err();
    assert!(matches!(err, RegistryError::DuplicateLabel { .. }), "{err}");
    assert!(Registry::builder().prefix("9x").build().is_err());
    assert!(Registry::builder().const_label("le", "1").build().is_err());
}

/// Two families in one collector, like a derived stats struct.
#[derive(Default)]
struct Stats {
    hits: Counter,
    misses: Counter,
}

impl Collector for Stats {
    fn for_each_family(&self, visit: &mut dyn FnMut(&Desc, &dyn Metric)) {
        visit(&Desc::from_static("cache_hits", "Hits.", None), &self.hits);
        visit(
            &Desc::from_static("cache_misses", "Misses.", None),
            &self.misses,
        );
    }
}

#[test]
fn a_collector_registers_all_families_or_none() {
    let registry = Registry::new();
    registry
        .register(Desc::new("cache_misses", "Taken."), Gauge::<()>::new())
        .unwrap();
    let err = registry
        .register_collector(std::sync::Arc::new(Stats::default()))
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::Duplicate {
            name: "cache_misses".into()
        }
    );
    let names: Vec<_> = registry
        .snapshot()
        .families
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(
        names,
        ["cache_misses"],
        "cache_hits must not have been registered"
    );
    // In a fresh registry both register.
    let fresh = Registry::new();
    fresh
        .register_collector(std::sync::Arc::new(Stats::default()))
        .unwrap();
    assert_eq!(fresh.snapshot().families.len(), 2);
}

#[test]
fn prefix_unit_and_const_labels_shape_the_snapshot() {
    let registry = Registry::builder()
        .prefix("app")
        .const_label("service", "api")
        .build()
        .unwrap();
    let latency = registry
        .register(
            Desc::new("latency", "Latency.").with_unit(Unit::SECONDS),
            Histogram::<Method>::new(),
        )
        .unwrap();
    registry
        .register(
            Desc::new("sent_bytes", "Sent.").with_unit(Unit::BYTES),
            Counter::<()>::new(),
        )
        .unwrap();
    latency.with(Method::Post).record(2_000_000);
    let snap = registry.snapshot();
    let names: Vec<_> = snap.families.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["app_latency_seconds", "app_sent_bytes"]);
    assert_eq!(
        &*snap.const_labels,
        &[("service".to_string(), "api".to_string())]
    );
    let family = &snap.families[0];
    assert_eq!(
        (family.kind, family.unit),
        (MetricKind::Histogram, Some(Unit::SECONDS))
    );
    // Only the recorded histogram series is listed.
    assert_eq!(family.series.len(), 1);
    let series = &family.series[0];
    assert_eq!(
        family.label_pairs(series).collect::<Vec<_>>(),
        [("method", "POST")]
    );
    let Value::Histogram(h) = &series.value else {
        panic!("not a histogram")
    };
    assert_eq!(h.count(), 1);
    assert!((h.sum_scaled() - 0.002).abs() < 1e-12);
}

#[test]
fn every_kind_reads_back_exactly() {
    let registry = Registry::new();
    let c = registry
        .register(Desc::new("c", "c"), Counter::<Status>::new())
        .unwrap();
    let fc = registry
        .register(Desc::new("fc", "fc"), FloatCounter::<()>::new())
        .unwrap();
    let g = registry
        .register(Desc::new("g", "g"), Gauge::<()>::new())
        .unwrap();
    let fg = registry
        .register(Desc::new("fg", "fg"), FloatGauge::<()>::new())
        .unwrap();
    let max = registry
        .register(Desc::new("mx", "mx"), MaxGauge::<bool>::new())
        .unwrap();
    let min = registry
        .register(Desc::new("mn", "mn"), MinGauge::<()>::new())
        .unwrap();
    c.with(Status::ClientError).add(7);
    fc.add(1.5);
    fc.add(0.25);
    g.set(10);
    g.sub(3);
    fg.set(-2.5);
    max.with(true).observe(4);
    max.with(true).observe(9);
    max.with(true).observe(-1);
    min.observe(5);
    min.observe(-5);
    let snap = registry.snapshot();
    let values: Vec<Vec<String>> = snap
        .families
        .iter()
        .map(|f| {
            f.series
                .iter()
                .map(|s| format!("{}={:?}", s.index, s.value))
                .collect()
        })
        .collect();
    assert_eq!(
        values,
        [
            vec!["0=Counter(0)", "1=Counter(7)", "2=Counter(0)"],
            vec!["0=CounterF64(1.75)"],
            vec!["0=Gauge(7)"],
            vec!["0=GaugeF64(-2.5)"],
            vec!["1=Gauge(9)"], // the `false` series was never observed
            vec!["0=Gauge(-5)"],
        ]
    );
    assert_eq!(max.with(true).reset(), 9);
    assert!(registry.snapshot().families[4].series.is_empty());
}

#[test]
fn a_panicking_computed_metric_is_skipped_and_counted() {
    let registry = Registry::new();
    registry
        .register(Desc::new("ok", "Fine."), Computed::gauge(|| 1.5))
        .unwrap();
    registry
        .register(
            Desc::new("boom", "Panics."),
            Computed::counter(|| panic!("computed metric failure (expected by this test)")),
        )
        .unwrap();
    for round in 1..=2 {
        let snap = registry.snapshot();
        assert_eq!(snap.failed_computed, 1);
        assert_eq!(registry.failed_computed(), round);
        let names: Vec<_> = snap.families.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["ok"]);
        assert_eq!(snap.families[0].series[0].value.as_f64(), Some(1.5));
    }
    // The registry still works: nothing was poisoned.
    registry
        .register(Desc::new("after", "x"), Gauge::<()>::new())
        .unwrap();
}

/// `snapshot_each` visits the families `snapshot` holds, in order, one
/// family a visit, with the registry's constant labels and the failures
/// so far.
#[test]
fn snapshot_each_visits_one_family_at_a_time() {
    let registry = Registry::builder()
        .const_label("env", "prod")
        .build()
        .unwrap();
    let c = registry
        .register(Desc::new("a_total", "A."), Counter::<Method>::new())
        .unwrap();
    c.with(Method::Get).add(3);
    registry
        .register(
            Desc::new("boom", "Panics."),
            Computed::counter(|| panic!("computed metric failure (expected by this test)")),
        )
        .unwrap();
    registry
        .register(Desc::new("b", "B."), Computed::gauge(|| 2.5))
        .unwrap();
    let mut seen = Vec::new();
    registry.snapshot_each(|one| {
        assert_eq!(one.families.len(), 1);
        assert_eq!(&*one.const_labels, registry.const_labels());
        let family = &one.families[0];
        seen.push((
            family.name.clone(),
            family.series.len(),
            one.failed_computed,
        ));
    });
    let whole = registry.snapshot();
    let names: Vec<_> = whole
        .families
        .iter()
        .map(|f| (f.name.clone(), f.series.len()))
        .collect();
    assert_eq!(
        seen.iter()
            .map(|(n, s, _)| (n.clone(), *s))
            .collect::<Vec<_>>(),
        names
    );
    // The panicking metric sits between the two: `b` is visited after it.
    assert_eq!(seen.iter().map(|s| s.2).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(registry.failed_computed(), 2);
    assert_eq!(
        registry.const_labels(),
        [("env".to_string(), "prod".to_string())]
    );
}

#[test]
fn global_registry_is_one_instance() {
    assert!(std::ptr::eq(Registry::global(), Registry::global()));
}

#[test]
fn an_unlabeled_histogram_is_listed_before_its_first_record_and_a_labeled_one_is_not() {
    let registry = Registry::new();
    registry
        .register(Desc::new("plain", "x"), Histogram::<()>::new())
        .unwrap();
    registry
        .register(Desc::new("by_method", "x"), Histogram::<Method>::new())
        .unwrap();
    let snap = registry.snapshot();
    assert_eq!(snap.families[0].series.len(), 1);
    let Value::Histogram(h) = &snap.families[0].series[0].value else {
        panic!("not a histogram")
    };
    assert_eq!((h.count(), h.sum(), h.cells().count()), (0, 0, 0));
    assert!(snap.families[1].series.is_empty());
}

#[test]
fn an_info_style_gauge_is_legal() {
    // `build_info{version="..."} 1`: `_info` is no sample suffix in the
    // 0.0.4 text format, and OpenMetrics' Info families end in it.
    let registry = Registry::new();
    registry
        .register(Desc::new("build_info", "Build."), Gauge::<()>::new())
        .expect("`_info` is legal for a gauge");
    assert_eq!(registry.snapshot().families[0].name, "build_info");
}

#[test]
fn unregister_removes_a_collector_and_frees_its_names() {
    use std::sync::Arc;
    use tally_core::Described;
    let registry = Registry::new();
    let jobs = Arc::new(Counter::<()>::new());
    let first: Arc<dyn Collector> =
        Arc::new(Described::new(Desc::new("jobs", "Jobs."), jobs.clone()));
    let other: Arc<dyn Collector> = Arc::new(Described::new(
        Desc::new("other", "Other."),
        Arc::new(Gauge::<()>::new()),
    ));
    registry.register_collector(first.clone()).unwrap();
    registry.register_collector(other.clone()).unwrap();
    jobs.inc();
    assert!(registry.unregister(&first));
    // Only that one, and only once.
    assert!(!registry.unregister(&first));
    let names: Vec<String> = registry
        .snapshot()
        .families
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["other"]);
    // Its name is free again (the name `jobs` is also `jobs_total`).
    let again = registry
        .register(Desc::new("jobs_total", "Jobs again."), Counter::<()>::new())
        .unwrap();
    again.add(2);
    let snapshot = registry.snapshot();
    let jobs = snapshot.families.iter().find(|f| f.name == "jobs").unwrap();
    assert_eq!(jobs.series[0].value.as_f64(), Some(2.0));
    // A collector never registered (same contents, another `Arc`).
    let stranger: Arc<dyn Collector> = Arc::new(Described::new(
        Desc::new("other", "Other."),
        Arc::new(Gauge::<()>::new()),
    ));
    assert!(!registry.unregister(&stranger));
    assert_eq!(registry.snapshot().families.len(), 2);
}

/// A family whose label values are not `'static`: it names them with its
/// series, and the snapshot passes the names on.
struct Named;

static NAMED_DESC: tally_core::LabelDesc = tally_core::LabelDesc {
    names: &["who"],
    values: &[&["", "", "__overflow__"]],
    dynamic: &[],
};

impl Metric for Named {
    fn kind(&self) -> MetricKind {
        MetricKind::Counter
    }

    fn labels(&self) -> &'static tally_core::LabelDesc {
        &NAMED_DESC
    }

    fn collect(&self) -> Result<tally_core::Collected, tally_core::CollectError> {
        Ok(tally_core::Collected {
            series: vec![
                tally_core::Series::new(1, Value::Counter(3)),
                tally_core::Series::new(2, Value::Counter(1)),
            ],
            clamped: 0,
            names: tally_core::ValueNames::new(vec![Some(vec![None, Some("bob".into())])]),
        })
    }
}

#[test]
fn collected_names_reach_the_snapshot() {
    let registry = Registry::new();
    registry
        .register(Desc::new("greetings", "Hi."), Named)
        .unwrap();
    let snapshot = registry.snapshot();
    let family = &snapshot.families[0];
    let pairs: Vec<Vec<(&str, &str)>> = family
        .series
        .iter()
        .map(|s| family.label_pairs(s).collect())
        .collect();
    // Ordinal 1 from the collected names; 2 (past them) from the desc.
    assert_eq!(pairs, [vec![("who", "bob")], vec![("who", "__overflow__")]]);
}
