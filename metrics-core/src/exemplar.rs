//! Exemplars: the trace and span of one recent observation of a series,
//! so a dashboard can jump from a latency spike to a trace.
//!
//! Storage is latest-wins and lock-free: a family allocates its slots on
//! the first exemplar (recording without one never touches them), and a
//! slot is a small seqlock. A writer claims the slot by moving its
//! sequence from even to odd, copies the exemplar in and releases it even
//! again; a writer that finds the slot claimed drops its exemplar (the
//! other one is as recent). Readers copy the fields and keep the copy only
//! if the sequence was even and unchanged around the copy.
//!
//! Trace and span ids are restricted to what tracing systems emit: ASCII
//! letters, digits, `.`, `_` and `-` ([`is_exemplar_id`]; W3C and
//! OpenTelemetry ids are lowercase hex), with the trace id not empty and
//! the labels together within [`EXEMPLAR_LABELS_MAX`] characters. Any
//! other id (a quote, a backslash, a space, a brace, a non-ASCII letter
//! copied from a request header) is refused and counted in
//! [`exemplars_rejected`]; the observation itself is kept. Exposed ids
//! therefore never need escaping, and no scraper can trip on them.

use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::OnceLock;

/// The OpenMetrics limit on an exemplar's label set: label names and
/// values together, in characters.
pub const EXEMPLAR_LABELS_MAX: usize = 128;

const TRACE_ID: &str = "trace_id";
const SPAN_ID: &str = "span_id";
/// Bytes of label values a slot holds: the limit less the one name every
/// exemplar has.
const VALUE_BYTES: usize = EXEMPLAR_LABELS_MAX - TRACE_ID.len();
const WORDS: usize = VALUE_BYTES.div_ceil(8);

static REJECTED: AtomicU64 = AtomicU64::new(0);

/// Exemplars refused since start because their trace id was empty, an id
/// held a character outside [`is_exemplar_id`]'s set, or their labels were
/// longer than [`EXEMPLAR_LABELS_MAX`] characters (the observation itself
/// was recorded).
pub fn exemplars_rejected() -> u64 {
    REJECTED.load(Ordering::Relaxed)
}

/// One exemplar as read: `trace_id` and `span_id` labels, the observed
/// value in exposed units and when it was observed.
#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    /// The trace the observation belongs to (the `trace_id` label).
    pub trace_id: String,
    /// The span (the `span_id` label; may be empty).
    pub span_id: String,
    /// The observed value, in exposed units (a counter's increment, a
    /// histogram's value).
    pub value: f64,
    /// Seconds since the Unix epoch when it was observed.
    pub timestamp: f64,
}

impl Exemplar {
    /// The label pairs, `trace_id` first; `span_id` only when not empty.
    pub fn labels(&self) -> impl Iterator<Item = (&'static str, &str)> {
        std::iter::once((TRACE_ID, self.trace_id.as_str()))
            .chain((!self.span_id.is_empty()).then_some((SPAN_ID, self.span_id.as_str())))
    }
}

/// One latest-wins exemplar cell.
#[derive(Default)]
struct Slot {
    /// Even: stable (0: never written); odd: being written.
    seq: AtomicU64,
    value: AtomicU64,
    nanos: AtomicU64,
    /// `trace_id` length in the low byte, `span_id` length in the next.
    lengths: AtomicU64,
    bytes: [AtomicU64; WORDS],
}

impl Slot {
    fn write(&self, trace_id: &str, span_id: &str, value: f64) {
        let seq = self.seq.load(Ordering::Relaxed);
        if seq % 2 == 1
            || self
                .seq
                .compare_exchange(seq, seq + 1, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return; // another writer holds it: its exemplar is as recent
        }
        // Orders the odd sequence before the data stores for readers.
        fence(Ordering::Release);
        let nanos = crate::window::clock::coarse_wall_nanos();
        self.value.store(value.to_bits(), Ordering::Relaxed);
        self.nanos.store(nanos, Ordering::Relaxed);
        self.lengths.store(
            trace_id.len() as u64 | (span_id.len() as u64) << 8,
            Ordering::Relaxed,
        );
        let mut text = [0u8; WORDS * 8];
        text[..trace_id.len()].copy_from_slice(trace_id.as_bytes());
        text[trace_id.len()..trace_id.len() + span_id.len()].copy_from_slice(span_id.as_bytes());
        for (word, chunk) in self.bytes.iter().zip(text.chunks_exact(8)) {
            word.store(
                u64::from_le_bytes(chunk.try_into().unwrap()),
                Ordering::Relaxed,
            );
        }
        self.seq.store(seq + 2, Ordering::Release);
    }

    fn read(&self) -> Option<Exemplar> {
        for _ in 0..64 {
            let before = self.seq.load(Ordering::Acquire);
            if before == 0 {
                return None;
            }
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let value = f64::from_bits(self.value.load(Ordering::Relaxed));
            let nanos = self.nanos.load(Ordering::Relaxed);
            let lengths = self.lengths.load(Ordering::Relaxed);
            let mut text = [0u8; WORDS * 8];
            for (word, chunk) in self.bytes.iter().zip(text.chunks_exact_mut(8)) {
                chunk.copy_from_slice(&word.load(Ordering::Relaxed).to_le_bytes());
            }
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) != before {
                continue;
            }
            let (trace, span) = ((lengths & 0xff) as usize, (lengths >> 8 & 0xff) as usize);
            let text = text.get(..trace + span)?;
            return Some(Exemplar {
                trace_id: String::from_utf8_lossy(&text[..trace]).into_owned(),
                span_id: String::from_utf8_lossy(&text[trace..]).into_owned(),
                value,
                timestamp: nanos as f64 / 1e9,
            });
        }
        None // written continuously while read: the next scrape has it
    }
}

/// Whether `id` is a trace or span id an exemplar may carry: only ASCII
/// letters, digits, `.`, `_` and `-` (W3C trace context and OpenTelemetry
/// ids are lowercase hex, Zipkin and Jaeger ids hex too). The set needs no
/// escaping in any exposition format. Length is checked separately
/// against [`EXEMPLAR_LABELS_MAX`]; the empty id passes here (a span id
/// may be empty, a trace id may not).
pub fn is_exemplar_id(id: &str) -> bool {
    id.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Checks an exemplar's labels; counts and refuses those outside the safe
/// set or over the OpenMetrics length limit.
fn admissible(trace_id: &str, span_id: &str) -> bool {
    // Ids in the safe set are ASCII: one byte is one character.
    let chars = TRACE_ID.len()
        + trace_id.len()
        + if span_id.is_empty() {
            0
        } else {
            SPAN_ID.len() + span_id.len()
        };
    let ok = !trace_id.is_empty()
        && chars <= EXEMPLAR_LABELS_MAX
        && trace_id.len() + span_id.len() <= VALUE_BYTES
        && is_exemplar_id(trace_id)
        && is_exemplar_id(span_id);
    if !ok {
        REJECTED.fetch_add(1, Ordering::Relaxed);
    }
    ok
}

/// A family's exemplar slots: `per_series` for each of `series` series,
/// allocated on the first exemplar.
pub(crate) struct Exemplars {
    slots: OnceLock<Box<[Slot]>>,
    series: usize,
    per_series: usize,
}

impl Exemplars {
    pub(crate) const fn new(series: usize, per_series: usize) -> Self {
        Exemplars {
            slots: OnceLock::new(),
            series,
            per_series,
        }
    }

    /// Stores an exemplar in slot `slot` of series `series`, if its labels
    /// are admissible (else counts it in [`exemplars_rejected`]).
    #[cold]
    #[inline(never)]
    pub(crate) fn store(
        &self,
        series: usize,
        slot: usize,
        trace_id: &str,
        span_id: &str,
        value: f64,
    ) {
        if !admissible(trace_id, span_id) {
            return;
        }
        let slots = self.slots.get_or_init(|| {
            (0..self.series * self.per_series)
                .map(|_| Slot::default())
                .collect()
        });
        slots[series * self.per_series + slot.min(self.per_series - 1)]
            .write(trace_id, span_id, value);
    }

    /// The exemplars of series `series`, oldest first.
    pub(crate) fn read(&self, series: usize) -> Vec<Exemplar> {
        let Some(slots) = self.slots.get() else {
            return Vec::new();
        };
        let mut read: Vec<Exemplar> = slots[series * self.per_series..][..self.per_series]
            .iter()
            .filter_map(Slot::read)
            .collect();
        read.sort_by(|a, b| a.timestamp.total_cmp(&b.timestamp));
        read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_wins_and_reads_back_whole() {
        let e = Exemplars::new(2, 1);
        assert!(e.read(1).is_empty());
        e.store(
            1,
            0,
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "00f067aa0ba902b7",
            0.25,
        );
        e.store(
            1,
            0,
            "0af7651916cd43dd8448eb211c80319c",
            "b7ad6b7169203331",
            0.5,
        );
        let read = e.read(1);
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].trace_id, "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(read[0].span_id, "b7ad6b7169203331");
        assert_eq!(read[0].value, 0.5);
        assert!(read[0].timestamp > 1.6e9);
        assert!(e.read(0).is_empty());
    }

    #[test]
    fn over_long_or_control_labels_are_counted_and_refused() {
        let e = Exemplars::new(1, 1);
        let before = exemplars_rejected();
        e.store(0, 0, &"a".repeat(120), "", 1.0); // 8 + 120 = 128 chars: fits
        e.store(0, 0, &"b".repeat(100), &"c".repeat(14), 1.0); // 8+100+7+14 = 129
        e.store(0, 0, "trace\n", "", 1.0);
        e.store(0, 0, "", "span", 1.0);
        // At least: tests running beside this one count into the same global.
        assert!(exemplars_rejected() - before >= 3);
        assert_eq!(e.read(0)[0].trace_id, "a".repeat(120));
    }

    #[test]
    fn ids_outside_the_safe_set_are_counted_and_refused() {
        let e = Exemplars::new(1, 1);
        let before = exemplars_rejected();
        e.store(
            0,
            0,
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "00f067aa0ba902b7",
            1.0,
        );
        e.store(0, 0, "Trace-1.a_b", "", 2.0);
        let hostile = [
            "a\"b", "a\\b", "a b", "a}b", "a{b", "a=b", "a,b", "a#b", "é", "a\tb", "a\u{7f}",
        ];
        for id in hostile {
            e.store(0, 0, id, "", 3.0);
            e.store(0, 0, "ok", id, 3.0);
        }
        assert!(exemplars_rejected() - before >= 2 * hostile.len() as u64);
        // None was stored: the last admitted exemplar is the one exposed.
        let read = e.read(0);
        assert_eq!(
            (read[0].trace_id.as_str(), read[0].value),
            ("Trace-1.a_b", 2.0)
        );
        assert!(is_exemplar_id("") && is_exemplar_id("0af7651916cd43dd"));
        assert!(!is_exemplar_id("a\"b"));
    }

    #[test]
    fn concurrent_writers_and_a_reader_never_see_a_torn_exemplar() {
        let e = std::sync::Arc::new(Exemplars::new(1, 1));
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let e = e.clone();
                s.spawn(move || {
                    let id = format!("{t}").repeat(32);
                    for i in 0..20_000 {
                        e.store(0, 0, &id, &id[..16], f64::from(t) + i as f64 * 0.0);
                    }
                });
            }
            for _ in 0..20_000 {
                if let Some(x) = e.read(0).pop() {
                    let t = &x.trace_id[..1];
                    assert_eq!(x.trace_id, t.repeat(32));
                    assert_eq!(x.span_id, t.repeat(16));
                    assert_eq!(x.value.to_string(), t);
                }
            }
        });
    }
}
