#!/usr/bin/env bash
# Runs the benchmarks of tally beside its baselines and peer crates
# (benches/core.rs, benches/peers_*.rs) and writes benches/RESULTS.md:
# the machine, the command, tally's primitives as ratios to a shared
# `AtomicU64::fetch_add` and a thread-private load+store measured in the
# same run, the hot-path table at 1, 2 and 8 threads with each peer's
# ratio to tally, the encoding and memory tables, and the rows where tally
# is not fastest.
#
#   scripts/bench.sh                 # every bench, one run each (core, hot,
#                                    # encode, memory, scale: about 6 minutes
#                                    # plus the build)
#   scripts/bench.sh core hot        # rerun some, keep the saved output of the
#                                    # others, rewrite the tables
#   scripts/bench.sh --render        # rewrite the tables from the saved outputs only
#
# Each timed bench (core, hot, encode) runs BENCH_REPEAT times (default 1,
# so every ratio compares rows of one run); with BENCH_REPEAT=3 each row
# reports the lowest of the runs' medians (on a shared machine other work
# only ever adds time), and a ratio may then compare rows of different
# runs. Raw divan output is kept in target/bench-peers/. Everything in
# benches/RESULTS.md from its "## Notes" heading on is kept across runs
# (hand-written analysis); the rest is regenerated.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/bench-peers
mkdir -p "$out"

benches=("$@")
if [ ${#benches[@]} -eq 0 ]; then
  benches=(core hot encode memory scale)
elif [ "${benches[0]}" = "--render" ]; then
  benches=()
fi

repeat=${BENCH_REPEAT:-1}
start=$(date +%s)
for b in "${benches[@]}"; do
  case "$b" in
    core) runs=$repeat; target=core ;;
    hot | encode) runs=$repeat; target="peers_$b" ;;
    memory) runs=1; target=peers_memory ;;
    scale) runs=1; target=scale ;;
    *) echo "unknown bench '$b' (core, hot, encode, memory, scale, --render)" >&2; exit 2 ;;
  esac
  rm -f "$out/$b".*.txt
  for i in $(seq 1 "$runs"); do
    echo "== cargo bench --bench $target (run $i of $runs) ==" >&2
    {
      echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
      cargo bench -q -p tally-benches --bench "$target" 2>&1
      echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
    } | tee "$out/$b.$i.txt" >&2
  done
done
elapsed=$(($(date +%s) - start))

for b in core hot encode memory; do
  if [ ! -s "$out/$b.1.txt" ]; then
    echo "no saved output for '$b': run scripts/bench.sh $b first" >&2
    exit 1
  fi
done

# The machine and the time of the last run that ran something (a bare
# --render keeps them).
if [ ${#benches[@]} -gt 0 ] || [ ! -s "$out/machine.txt" ]; then
  {
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "nproc=$(nproc)"
    echo "mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "kernel=$(uname -sr)"
    echo "rustc=$(rustc -V)"
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "elapsed=$elapsed"
    echo "repeat=$repeat"
  } > "$out/machine.txt"
fi

python3 - "$out" benches/RESULTS.md <<'PY'
import re
import sys
from pathlib import Path

out, results = Path(sys.argv[1]), Path(sys.argv[2])

UNITS = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}
# A divan tree line: 3-character indentation units, the name, then the
# columns fastest | slowest | median | mean | samples | iters.
TREE = re.compile(r"^((?:│  |   |├─ |╰─ )*)(\S+)(.*)$")


def parse_divan(text, column=2):
    """{path tuple: median in ns} for every leaf of divan's tree (the
    fastest sample with `column=0`)."""
    rows, stack = {}, []
    for line in text.splitlines():
        if "│" not in line or line.startswith("Timer"):
            continue
        m = TREE.match(line)
        if not m:
            continue
        prefix, name, rest = m.groups()
        depth = len(prefix) // 3
        if depth == 0:  # the header: bench binary name + column titles
            stack = []
            continue
        stack = stack[: depth - 1] + [name]
        cols = [c.strip() for c in rest.split("│")]
        if len(cols) >= 3 and cols[column]:
            value, unit = cols[column].split()
            rows[tuple(stack)] = float(value) * UNITS[unit]
    return rows


def fmt_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns:.3g} ns"


def fmt_ratio(r):
    return f"{r:.2f}x" if r < 10 else f"{r:.1f}x"


def peer_ratio(r):
    """A peer's ratio to tally: 2 significant digits below 0.1, 2 decimals
    below 1, else 1 decimal."""
    if r < 0.1:
        return f"{r:.2g}x"
    return f"{r:.2f}x" if r < 1 else f"{r:.1f}x"


machine = dict(
    line.split("=", 1) for line in (out / "machine.txt").read_text().splitlines() if "=" in line
)


def runs(name):
    """The texts of every saved run of a bench."""
    return [p.read_text() for p in sorted(out.glob(f"{name}.*.txt"))]


def lowest(texts):
    """Per row, the lowest median over the runs."""
    rows = {}
    for text in texts:
        for key, ns in parse_divan(text).items():
            rows[key] = min(ns, rows.get(key, ns))
    return rows


core_runs, hot_runs, encode_runs = runs("core"), runs("hot"), runs("encode")
all_text = "".join(core_runs + hot_runs + encode_runs)
encode_text = "".join(encode_runs)
memory_text = runs("memory")[-1]
core = lowest(core_runs)
hot = lowest(hot_runs)
encode = lowest(encode_runs)
repeat = len(hot_runs)
of_runs = "one run" if repeat == 1 else f"the lowest over {repeat} runs"

# --- tally's primitives against the machine (benches/core.rs) ---

CORE = [
    ("baseline_shared_atomic_fetch_add", "shared `AtomicU64::fetch_add` (baseline)"),
    ("baseline_private_load_store", "thread-private load + store (baseline)"),
    ("counter_inc_unlabeled", "`Counter<()>::inc`"),
    ("counter_inc_labeled", "`Counter<(Method, Status)>::with(..).inc()`, labels at the call site"),
    ("histogram_record", "`Histogram::record`"),
    ("windowed_counter_inc_labeled", "`WindowedCounter::with(..).inc()`"),
    ("windowed_histogram_record", "`WindowedHistogram::record`"),
    ("windowed_counter_inc_labeled_recent_clock", "`WindowedCounter` on `RecentClock`"),
    ("windowed_histogram_record_recent_clock", "`WindowedHistogram` on `RecentClock`"),
]
core_table = [
    "| operation | 1 thread | / fetch_add | / load+store | 2 threads | / fetch_add | / load+store |",
    "|---|---:|---:|---:|---:|---:|---:|",
]
for key, title in CORE:
    cells = []
    for t in ("t=1", "t=2"):
        v = core.get((key, t))
        fa = core.get(("baseline_shared_atomic_fetch_add", t))
        ls = core.get(("baseline_private_load_store", t))
        if v is None:
            cells += ["n/a", "", ""]
            continue
        cells.append(fmt_ns(v))
        cells.append(fmt_ratio(v / fa) if fa else "n/a")
        cells.append(fmt_ratio(v / ls) if ls else "n/a")
    core_table.append(f"| {title} | " + " | ".join(cells) + " |")

# --- the hot path against the peers (benches/peers_hot.rs) ---

PEERS = ["prometheus_client", "prometheus", "metrics", "measured", "opentelemetry"]
NAMES = {"prometheus_client": "prometheus-client", "opentelemetry": "OpenTelemetry SDK"}
THREADS = ("t=1", "t=2", "t=8")
WORKLOADS = [
    ("counter_unlabeled", "1. counter, unlabeled", "atomic"),
    ("counter_labeled", "2. counter, 2 labels (18 combinations, random)", "atomic"),
    ("histogram_unlabeled", "3a. histogram, unlabeled", "hdrhistogram"),
    ("histogram_labeled", "3b. histogram, 2 labels (18 combinations, random)", "hdrhistogram"),
]

table = [
    "| workload | threads | tally | tally / shared fetch_add | baseline | prometheus-client | prometheus | metrics | measured | OpenTelemetry SDK |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]
losses = []
extra = [
    "| workload | threads | tally | metrics, handle registered once |",
    "|---|---:|---:|---:|",
]
for key, title, baseline in WORKLOADS:
    for threads in THREADS:
        tally = hot.get((key, "tally", threads))
        if tally is None:
            continue
        fetch_add = hot.get(("counter_unlabeled", "atomic", threads))
        cells = [f"**{fmt_ns(tally)}**", fmt_ratio(tally / fetch_add) if fetch_add else "n/a"]
        for crate in [baseline] + PEERS:
            v = hot.get((key, crate, threads))
            if v is None:
                cells.append("n/a")
                continue
            cells.append(f"{fmt_ns(v)} ({peer_ratio(v / tally)})")
            if v < tally:
                losses.append(
                    f"- {title}, {threads[2:]} thread(s): {NAMES.get(crate, crate)} "
                    f"{fmt_ns(v)} vs tally {fmt_ns(tally)} (tally takes {tally / v:.2f}x as long)"
                )
        table.append(f"| {title} | {threads[2:]} | " + " | ".join(cells) + " |")
        handle = hot.get((key, "metrics_handle", threads))
        if handle is not None:
            extra.append(
                f"| {title} | {threads[2:]} | **{fmt_ns(tally)}** | {fmt_ns(handle)} ({peer_ratio(handle / tally)}) |"
            )
baseline_names = (
    "`AtomicU64::fetch_add` shared by all threads (18 of them when labeled)\n"
    "for counters, `Mutex<hdrhistogram::Histogram<u64>>` for histograms"
)

# --- encoding (benches/peers_encode.rs) ---

ENCODE = [
    ("all", "4. encode 10,000 counter + 100 histogram series to text"),
    ("counters", "4a. of which: the 10,000 counter series alone"),
    ("histograms", "4b. of which: the 100 histogram series alone"),
]
COLLECT = {
    "all": "4. collect 10,000 counter + 100 histogram series",
    "counters": "4a. of which: the 10,000 counter series alone",
    "histograms": "4b. of which: the 100 histogram series alone",
}
TEXT_PEERS = ["prometheus_client", "prometheus", "metrics", "measured"]
enc_table = [
    "| workload | tally (snapshot + encode) | tally encode alone | prometheus-client | prometheus | metrics | measured |",
    "|---|---:|---:|---:|---:|---:|---:|",
]
collect_table = [
    "| workload | tally `registry.snapshot()` | OpenTelemetry SDK `ManualReader::collect` |",
    "|---|---:|---:|",
]
for key, title in ENCODE:
    enc_tally = encode.get((key, "tally"))
    if enc_tally is None:
        continue
    text_only = encode.get((key, "tally_text_only"))
    cells = [f"**{fmt_ns(enc_tally)}**", fmt_ns(text_only) if text_only else "n/a"]
    for crate in TEXT_PEERS:
        v = encode.get((key, crate))
        if v is None:
            cells.append("n/a")
            continue
        cells.append(f"{fmt_ns(v)} ({peer_ratio(v / enc_tally)})")
        if v < enc_tally:
            losses.append(
                f"- {title}: {NAMES.get(crate, crate)} "
                f"{fmt_ns(v)} vs tally {fmt_ns(enc_tally)} (tally takes {enc_tally / v:.2f}x as long)"
            )
    enc_table.append(f"| {title} | " + " | ".join(cells) + " |")
    snap = encode.get((key, "tally_snapshot"))
    otel = encode.get((key, "opentelemetry"))
    if snap is not None and otel is not None:
        collect_table.append(
            f"| {COLLECT[key]} | **{fmt_ns(snap)}** | {fmt_ns(otel)} ({peer_ratio(otel / snap)}) |"
        )
        if otel < snap:
            losses.append(
                f"- {title}, collection alone: OpenTelemetry SDK {fmt_ns(otel)} vs tally's "
                f"snapshot {fmt_ns(snap)} (tally takes {snap / otel:.2f}x as long)"
            )
sizes = next((l for l in encode_text.splitlines() if l.startswith("output bytes")), "")

memory_tables = [l for l in memory_text.splitlines() if l.startswith("|") or not l.strip()]
memory_md = re.sub(r"\n{3,}", "\n\n", "\n".join(memory_tables)).strip()

# --- scale (benches/scale.rs): optional, rendered when a run was saved ---

scale_md = "Not run: `scripts/bench.sh scale`."
scale_runs = runs("scale")
if scale_runs:
    scale_text = scale_runs[-1]
    scale = parse_divan(scale_text)
    scale_fastest = parse_divan(scale_text, column=0)
    SCALE_CRATES = [("tally", "tally"), ("measured", "measured"), ("prometheus_client", "prometheus-client")]
    scale_sizes = ["10000", "100000", "1000000"]
    rows = [
        "| workload | series | " + " | ".join(n for _, n in SCALE_CRATES) + " |",
        "|---|---:|" + "---:|" * len(SCALE_CRATES),
    ]
    growth = [
        "| workload | scrapes | " + " | ".join(n for _, n in SCALE_CRATES) + " |",
        "|---|---|" + "---:|" * len(SCALE_CRATES),
    ]
    for key, title in [("counters", "counters"), ("mix", "1% histograms")]:
        for size in scale_sizes:
            t = scale.get((key, "tally", size))
            cells = []
            for crate, name in SCALE_CRATES:
                v = scale.get((key, crate, size))
                if v is None:
                    cells.append("n/a")
                elif crate == "tally":
                    cells.append(f"**{fmt_ns(v)}**")
                else:
                    cells.append(f"{fmt_ns(v)} ({peer_ratio(v / t)})" if t else fmt_ns(v))
                    if t and v < t:
                        losses.append(
                            f"- scale, {title}, {int(size):,} series: {name} {fmt_ns(v)} vs tally {fmt_ns(t)} "
                            f"(tally takes {t / v:.2f}x as long)"
                        )
            rows.append(f"| {title} | {int(size):,} | " + " | ".join(cells) + " |")
        for which, times in [("median", scale), ("fastest", scale_fastest)]:
            cells = []
            for crate, _ in SCALE_CRATES:
                small, large = times.get((key, crate, "10000")), times.get((key, crate, "1000000"))
                cells.append(f"{large / small / 100:.2f}x" if small and large else "n/a")
            growth.append(f"| {title} | {which} | " + " | ".join(cells) + " |")
    page = [
        f"| {name} | {fmt_ns(scale[('page_1m', key)])} |"
        for key, name in [
            ("page_json", "snapshot + live page JSON"),
            ("page_json_gzip", "snapshot + live page JSON + gzip"),
            ("text_gzip", "snapshot + Prometheus text + gzip"),
        ]
        if ("page_1m", key) in scale
    ]
    interleaved = [
        "| workload | crate | growth | ns per series at 10,000 | at 1,000,000 |",
        "|---|---|---:|---:|---:|",
    ] + [
        "| " + l.split(": ", 1)[1] + " |"
        for l in scale_text.splitlines()
        if l.startswith("growth: ")
    ]
    scale_memory = "\n".join(l for l in scale_text.splitlines() if l.startswith("|") and "│" not in l)
    page_sizes = next((l for l in scale_text.splitlines() if l.startswith("live page")), "")
    scale_md = (
        "\n".join(rows)
        + "\n\nGrowth from 10,000 to 1,000,000 series, as a multiple of linear "
        + "(time at 1,000,000 / time at 10,000 / 100; 1.00x is linear), from the "
        + "median scrapes and from the fastest (a slow scrape on a shared virtual "
        + "machine moves a median of 30 by several percent):\n\n"
        + "\n".join(growth)
        + "\n\nThe same growth measured in interleaved rounds, so that a slow spell of "
        + "the machine weighs on both sizes alike: each of 7 rounds scrapes the "
        + "10,000-series registry 50 times, then the 1,000,000-series one once; "
        + "each size's time is its lowest round:\n\n"
        + "\n".join(interleaved)
        + "\n\ntally at 1,000,000 series (1% histograms), one request's work without HTTP:\n\n"
        + "| row | time |\n|---|---:|\n"
        + "\n".join(page)
        + f"\n\nOutput sizes: {page_sizes.split(': ', 1)[-1]}\n\n"
        + "Memory through a counting allocator: the registry once built, and the "
        + "peak of extra heap during one scrape (snapshot, text, output buffer):\n\n"
        + scale_memory
    )

loads = [
    float(l.split()[0])
    for _, l in re.findall(r"load (before|after): (.*)", all_text + memory_text)
]
load_range = f"{min(loads):.1f} to {max(loads):.1f} on {machine.get('nproc')} CPUs" if loads else "n/a"
minutes = int(machine.get("elapsed", "0")) / 60

generated = f"""# Benchmarks: tally beside the machine and its peers

tally's hot path as ratios to what the machine allows, and tally against
the crates a user would pick instead, measured in the same run on the same
machine. Generated by `scripts/bench.sh` (everything above "Notes" is
rewritten on each run).

**Machine:** {machine.get('cpu')} ({machine.get('nproc')} logical CPUs, {machine.get('mem')}),
{machine.get('kernel')}, {machine.get('rustc')}; run {machine.get('date')},
{minutes:.0f} minutes. Load averages over the last minute during the runs:
{load_range}.

**Reproduce:** `scripts/bench.sh` (runs `cargo bench --bench core`,
`peers_hot`, `peers_encode` and `peers_memory` once each, then writes this
file). Peers: prometheus-client 0.26, prometheus 0.14, metrics 0.24 with
metrics-exporter-prometheus 0.18, measured 0.0.25, opentelemetry and
opentelemetry_sdk 0.33 (dev-dependencies of the benchmarks only).

## tally's primitives against the machine (`benches/core.rs`)

ns per operation and the ratio to the two baselines of the same run: one
`AtomicU64::fetch_add` on a static shared by every thread, and a load +
add + store to a thread-private cell (its address through `black_box`).
Each cell: the median of 200 samples of 4,096 operations, {of_runs}. "2
threads" = both CPUs recording at once, time per operation of each
thread. The histogram rows read their value from divan's input buffer (one
sequential load more than the counter rows).

{chr(10).join(core_table)}

## Hot path against the peers: ns per operation, ratio peer / tally

Each cell: the median of 50 samples of 262,144 operations, {of_runs}.
"tally / shared fetch_add" divides tally's row by the shared
`AtomicU64::fetch_add` of workload 1 at the same thread count.

Baseline: {baseline_names}.

Threads: time per operation of each of 1, 2 or 8 threads recording at
once. **8 threads oversubscribe this {machine.get('nproc')}-CPU machine**
(only {machine.get('nproc')} run at any instant; a sample includes the time
its thread was descheduled, and a preempted lock holder stalls the
others): the 8-thread rows show the cost with more writer threads than
cores, not 8-way scaling. A random label combination per iteration comes
from a precomputed table, identical for every crate.

{chr(10).join(table)}

metrics is measured as its docs show it, a `counter!` / `histogram!` macro
per call (a registry lookup each time). Its docs also allow registering a
handle once and keeping it; for the unlabeled workloads that is:

{chr(10).join(extra)}

## Encoding: one scrape of 10,000 counter series and 100 histogram series, ratio peer / tally

Each cell: the median of 50 scrapes, {of_runs}.

Each crate's own Prometheus text (0.0.4) encoder over the same series and
values. tally's time includes `registry.snapshot()` (the peers read their
live metrics while encoding); "tally encode alone" is
`encode(Format::PrometheusText, ..)` of a snapshot taken outside the timed
loop, for reference. prometheus-client: `encoding::prometheus_text::encode`;
prometheus: `gather()` + `TextEncoder`; metrics: `PrometheusHandle::render()`;
measured: `collect_family_into` a `BufferedTextEncoder` + `finish()`.
Output sizes in bytes (lines): {sizes.split(": ", 1)[-1]}.

{chr(10).join(enc_table)}

The OpenTelemetry SDK has no text encoder (its Prometheus exporter crate is
deprecated in favour of OTLP); its collection into `ResourceMetrics` (the
data an exporter serializes) compares with tally's snapshot alone:

{chr(10).join(collect_table)}

## Memory

Heap bytes per series through a counting allocator (registry and family
overhead included; counters: 10,000 series in 100 families; histograms:
100 series in one family, tally's default configuration, the peers' 12
classic buckets), with 1, 2 and 16 writer threads alive (the measuring
thread plus 1 or 15 spawned ones, each writing every series: one
increment per counter series, 41 latencies from 50 µs to 500 ms per
histogram series), and again after the 15 spawned writers exited. Then
tally's own `heap_bytes()` of the histogram family, and allocations per
hot-path operation (10,000 operations on one thread after every series
exists).

{memory_md}

## Scale: one scrape of 10,000 to 1,000,000 series (`benches/scale.rs`)

Snapshot + Prometheus text, each cell the median of 30 scrapes (after one untimed scrape), ratio
peer / tally: counter families of 100 series (`route` x `code`), alone
and with 1% of the series in histogram families (100 observations per
series).

{scale_md}

## Where tally is not fastest (generated)

{chr(10).join(losses) if losses else "- Nowhere in the ns/op tables above."}
"""

notes = ""
if results.exists():
    old = results.read_text()
    i = old.find("\n## Notes")
    if i >= 0:
        notes = old[i + 1 :]
if not notes:
    notes = "## Notes\n\n(Hand-written analysis goes here; kept across runs.)\n"
results.write_text(generated + "\n" + notes)
print(generated)
PY
