//! Objectives declared on family fields (`#[metric(objective(...))]`):
//! the registry lists them, and the rule generator turns them into
//! recording and alerting rules beside the instrumented functions'.

use std::time::Duration;

use tally::{Counter, Histogram, LabelValue, Metrics, Registry};

/// How a job ended: the `result` label a success objective reads.
#[derive(Clone, Copy, Debug, LabelValue)]
#[label(name = "result")]
enum Outcome {
    Ok,
    Error,
    Timeout,
}

#[derive(Clone, Copy, Debug, LabelValue)]
enum Queue {
    Fast,
    Bulk,
}

#[derive(Metrics)]
#[metrics(prefix = "worker")]
struct Stats {
    /// Jobs run, by queue and how they ended.
    #[metric(objective(success = 99.5, window = "7d"))]
    jobs: Counter<(Queue, Outcome)>,
    /// Time to run a job.
    #[metric(unit = "seconds", objective(latency = "250ms", latency_target = 99))]
    job_duration: Histogram,
    /// Batches, no objective.
    batches: Counter,
}

#[test]
fn the_registry_lists_family_objectives_and_rules_read_them() {
    let registry = Registry::new();
    let stats = Stats::register(&registry).unwrap();
    stats.jobs.with((Queue::Fast, Outcome::Ok)).inc();
    stats.batches.inc();

    let objectives = registry.objectives();
    assert_eq!(objectives.len(), 2, "{objectives:?}");
    let jobs = &objectives[0];
    assert_eq!(jobs.family, "worker_jobs");
    assert_eq!(jobs.kind, tally::registry::MetricKind::Counter);
    assert_eq!(jobs.objective.success, Some(99.5));
    assert_eq!(jobs.objective.latency, None);
    assert_eq!(jobs.objective.window, Duration::from_secs(7 * 86400));
    let latency = &objectives[1];
    assert_eq!(latency.family, "worker_job_duration_seconds");
    assert_eq!(latency.kind, tally::registry::MetricKind::Histogram);
    let l = latency.objective.latency.unwrap();
    assert_eq!((l.threshold, l.target), (0.25, 99.0));
    assert_eq!(latency.objective.window, Duration::from_secs(30 * 86400));

    let rules = tally::rules::SloRules::from_registry(&registry);
    assert_eq!(
        rules.objectives(),
        ["worker_jobs-success", "worker_job_duration_seconds-latency"]
    );
    let yaml = rules.to_yaml();
    assert!(
        yaml.contains(r#"sum(rate(worker_jobs_total{result!=\"ok\"}[5m]))"#),
        "{yaml}"
    );
    assert!(
        yaml.contains("worker_job_duration_seconds_bucket{le=~"),
        "{yaml}"
    );
    assert!(yaml.contains("family: \"worker_jobs\""), "{yaml}");

    // The dashboard's error budgets read the same objectives.
    let json = tally::dashboard::dashboard(&registry, &Default::default()).to_string();
    assert!(json.contains("worker_jobs-success"), "{json}");
    assert!(
        json.contains("worker_job_duration_seconds-latency"),
        "{json}"
    );
}

#[test]
fn a_prefix_given_at_registration_reaches_the_objective() {
    let registry = Registry::builder().prefix("app").build().unwrap();
    Stats::register(&registry).unwrap();
    let families: Vec<String> = registry
        .objectives()
        .into_iter()
        .map(|o| o.family)
        .collect();
    assert_eq!(
        families,
        ["app_worker_jobs", "app_worker_job_duration_seconds"]
    );
}
