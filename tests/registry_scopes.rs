//! Libraries and the global registry: a library's derived stats, shared as
//! an `Arc<Stats>`, registered into the application's registry under a
//! prefix; the process-wide registry given a prefix and constant labels
//! once at startup, and an `Err` once it is in use.

use std::sync::Arc;

use tally::{Counter, Gauge, Registry, RegistryBuilder, RegistryError};

/// What a library (say, a connection pool) counts.
#[derive(tally::Metrics)]
struct PoolStats {
    /// Connections opened.
    opened_total: Counter,
    /// Connections idle.
    idle: Gauge,
}

/// The library keeps its stats shared with its workers.
struct Pool {
    stats: Arc<PoolStats>,
}

fn names(registry: &Registry) -> Vec<String> {
    registry
        .snapshot()
        .families
        .into_iter()
        .map(|f| f.name)
        .collect()
}

#[test]
fn library_stats_register_under_a_prefix() {
    let registry = Registry::builder().prefix("app").build().unwrap();
    let primary = Pool {
        stats: Arc::new(PoolStats::new()),
    };
    let replica = Pool {
        stats: Arc::new(PoolStats::new()),
    };
    registry
        .register_with_prefix("db_primary", primary.stats.clone())
        .unwrap();
    registry
        .register_with_prefix("db_replica", replica.stats.clone())
        .unwrap();
    primary.stats.opened_total.add(3);
    replica.stats.idle.set(2);
    assert_eq!(
        names(&registry),
        [
            "app_db_primary_opened",
            "app_db_primary_idle",
            "app_db_replica_opened",
            "app_db_replica_idle"
        ]
    );
    let snapshot = registry.snapshot();
    assert_eq!(snapshot.families[0].series[0].value.as_f64(), Some(3.0));
    assert_eq!(snapshot.families[3].series[0].value.as_f64(), Some(2.0));
    // The same prefix twice is a duplicate, all or none.
    assert!(matches!(
        registry.register_with_prefix("db_primary", Arc::new(PoolStats::new())),
        Err(RegistryError::Duplicate { .. })
    ));
    assert!(matches!(
        registry.register_with_prefix("bad prefix", Arc::new(PoolStats::new())),
        Err(RegistryError::InvalidName { .. })
    ));
    assert_eq!(names(&registry).len(), 4);
}

/// One test for the global registry (its state is process-wide): set up
/// once before use, refused after.
#[test]
fn global_registry_is_configured_once_before_use() {
    let invalid = RegistryBuilder::default()
        .const_label("__bad", "x")
        .build_global();
    assert!(matches!(invalid, Err(RegistryError::InvalidLabel { .. })));
    let global = Registry::builder()
        .prefix("svc")
        .const_label("region", "eu")
        .build_global()
        .unwrap();
    assert!(std::ptr::eq(global, Registry::global()));
    let stats = PoolStats::global();
    stats.opened_total.inc();
    let snapshot = Registry::global().snapshot();
    assert_eq!(snapshot.families[0].name, "svc_opened");
    assert_eq!(
        &*snapshot.const_labels,
        [("region".to_string(), "eu".to_string())]
    );
    assert_eq!(
        Registry::builder().prefix("late").build_global().err(),
        Some(RegistryError::GlobalInUse)
    );
}
