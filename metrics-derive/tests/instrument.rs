//! `#[tally::instrument]` at run time: what each kind of function records
//! into the shared families of `Registry::global()` (this test binary's
//! own process, so the counts are this file's alone).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use tally::snapshot::Value;
use tally::Registry;

#[derive(tally::LabelValue, Clone, Copy, Debug)]
enum PayError {
    Declined,
    Timeout,
}

#[tally::instrument(objective(
    success = 99.9,
    latency = "250ms",
    latency_target = 99.0,
    window = "7d"
))]
fn pay(amount: u32) -> Result<u32, PayError> {
    match amount {
        0 => return Err(PayError::Declined),
        1 => Err(PayError::Timeout)?,
        _ => {}
    }
    Ok(amount)
}

#[tally::instrument]
fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = text.parse()?;
    Ok(n + 1)
}

#[tally::instrument(name = "first_word")]
fn first(text: &str) -> &str {
    text.split(' ').next().unwrap_or("")
}

#[tally::instrument]
fn evens(n: u32) -> impl Iterator<Item = u32> {
    (0..n).filter(|x| x % 2 == 0)
}

#[tally::instrument]
fn generic<T: Clone>(value: &T) -> T {
    value.clone()
}

struct Store {
    hits: u32,
}

#[tally::instrument]
impl Store {
    fn get(&mut self, key: u32) -> Option<u32> {
        self.hits += 1;
        (key > 0).then_some(key)
    }

    #[tally::instrument(name = "store_load")]
    async fn load(&self, ready: Gate) -> Result<u32, std::io::Error> {
        ready.await;
        Ok(self.hits)
    }

    const fn capacity() -> usize {
        8
    }
}

/// A future pending until its flag is set.
#[derive(Clone)]
struct Gate(Arc<std::sync::atomic::AtomicBool>);

impl Future for Gate {
    type Output = ();
    fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0.load(std::sync::atomic::Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

struct Noop;
impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

/// `(result, count)` of `function_calls_total` and friends for `function`.
fn calls(function: &str) -> Vec<(String, u64)> {
    series("function_calls", function)
}

fn series(family: &str, function: &str) -> Vec<(String, u64)> {
    let snapshot = Registry::global().snapshot();
    let family = snapshot
        .families
        .iter()
        .find(|f| f.name == family)
        .expect("the family is registered");
    family
        .series
        .iter()
        .filter(|s| family.label_pairs(s).any(|p| p == ("function", function)))
        .filter_map(|s| {
            let label = family
                .label_pairs(s)
                .find(|(k, _)| *k != "function")
                .map(|(_, v)| v.to_string())
                .unwrap_or_default();
            match &s.value {
                Value::Counter(v) => Some((label, *v)),
                Value::Gauge(v) => Some((label, *v as u64)),
                Value::Histogram(h) => Some((label, h.count())),
                _ => None,
            }
        })
        .filter(|(_, v)| *v > 0)
        .collect()
}

fn pairs(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn sync_results_error_kinds_and_latency() {
    assert_eq!(pay(5).unwrap(), 5);
    assert_eq!(pay(6).unwrap(), 6);
    assert!(matches!(pay(0), Err(PayError::Declined)));
    assert!(matches!(pay(1), Err(PayError::Timeout)));
    assert!(matches!(pay(1), Err(PayError::Timeout)));
    assert_eq!(calls("pay"), pairs(&[("ok", 2), ("error", 3)]));
    assert_eq!(
        series("function_calls_errors", "pay"),
        pairs(&[("declined", 1), ("timeout", 2)])
    );
    assert_eq!(
        series("function_calls_duration_seconds", "pay"),
        pairs(&[("", 5)])
    );
    let pay = tally::instrumented::functions()
        .into_iter()
        .find(|f| f.label == "pay")
        .unwrap();
    let objective = pay.objective.unwrap();
    assert_eq!(objective.success, Some(99.9));
    assert_eq!(objective.latency.unwrap().threshold, 0.25);
    assert_eq!(objective.window.as_secs(), 7 * 86400);
}

#[test]
fn question_mark_borrowed_and_impl_returns() {
    assert_eq!(parse("41").unwrap(), 42);
    assert!(parse("x").is_err());
    assert_eq!(calls("parse"), pairs(&[("ok", 1), ("error", 1)]));
    // Not a LabelValue error: no kind series.
    assert_eq!(series("function_calls_errors", "parse"), vec![]);
    assert_eq!(first("hello world"), "hello");
    assert_eq!(calls("first_word"), pairs(&[("ok", 1)]));
    assert_eq!(evens(5).count(), 3);
    assert_eq!(generic(&7u8), 7);
    assert_eq!(generic(&"s"), "s");
    assert_eq!(calls("generic"), pairs(&[("ok", 2)]));
}

#[test]
fn methods_of_an_impl_block() {
    let mut store = Store { hits: 0 };
    assert_eq!(store.get(3), Some(3));
    assert_eq!(store.get(0), None);
    assert_eq!(Store::capacity(), 8);
    assert_eq!(calls("Store::get"), pairs(&[("ok", 2)]));
}

#[test]
fn async_covers_the_whole_future_and_counts_cancellation() {
    let store = Store { hits: 7 };
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);

    // Completed: in flight while pending, timed across the await.
    let gate = Gate(Arc::default());
    let mut done = pin!(store.load(gate.clone()));
    assert!(done.as_mut().poll(&mut cx).is_pending());
    assert_eq!(
        series("function_calls_concurrent", "store_load"),
        pairs(&[("", 1)])
    );
    std::thread::sleep(std::time::Duration::from_millis(30));
    gate.0.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(matches!(done.as_mut().poll(&mut cx), Poll::Ready(Ok(7))));
    assert_eq!(series("function_calls_concurrent", "store_load"), vec![]);

    // Dropped while pending: cancelled, not ok.
    let never = Gate(Arc::default());
    {
        let mut dropped = Box::pin(store.load(never));
        assert!(dropped.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(calls("store_load"), pairs(&[("ok", 1), ("cancelled", 1)]));
    let snapshot = Registry::global().snapshot();
    let durations = snapshot
        .families
        .iter()
        .find(|f| f.name == "function_calls_duration_seconds")
        .unwrap();
    let load = durations
        .series
        .iter()
        .find(|s| {
            durations
                .label_pairs(s)
                .any(|p| p == ("function", "store_load"))
        })
        .unwrap();
    let Value::Histogram(h) = &load.value else {
        panic!("a histogram")
    };
    // The completed call spanned the 30 ms sleep between its two polls.
    assert!(h.max() >= 30_000_000, "max {} ns", h.max());
}

#[test]
fn a_panic_is_counted_as_panicked() {
    #[tally::instrument]
    fn explode() {
        panic!("boom");
    }
    assert!(std::panic::catch_unwind(explode).is_err());
    assert_eq!(calls("explode"), pairs(&[("panicked", 1)]));
}
