#!/usr/bin/env bash
# Runs the side-by-side benchmarks of tally against its peer crates
# (benches/peers_*.rs) and writes benches/RESULTS.md: the machine, the
# command, a markdown table of ns/op with each peer's ratio to tally, the
# encoding and memory tables, and the rows where tally is not fastest.
#
#   scripts/bench.sh                 # every bench (about 3 minutes plus the build)
#   scripts/bench.sh hot encode      # rerun some (hot, encode, memory), keep the
#                                    # saved output of the others, rewrite the table
#   scripts/bench.sh --render        # rewrite the table from the saved outputs only
#
# The timed benches (hot, encode) run BENCH_REPEAT times (default 3) and
# each row reports the lowest of the runs' medians: on a shared machine
# other work only ever adds time. Raw divan output is kept in
# target/bench-peers/. Everything in
# benches/RESULTS.md from its "## Notes" heading on is kept across runs
# (hand-written analysis); the rest is regenerated.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/bench-peers
mkdir -p "$out"

benches=("$@")
if [ ${#benches[@]} -eq 0 ]; then
  benches=(hot encode memory)
elif [ "${benches[0]}" = "--render" ]; then
  benches=()
fi

repeat=${BENCH_REPEAT:-3}
start=$(date +%s)
for b in "${benches[@]}"; do
  case "$b" in
    hot | encode) runs=$repeat ;;
    memory) runs=1 ;;
    *) echo "unknown bench '$b' (hot, encode, memory, --render)" >&2; exit 2 ;;
  esac
  rm -f "$out/$b".*.txt
  for i in $(seq 1 "$runs"); do
    echo "== cargo bench --bench peers_$b (run $i of $runs) ==" >&2
    {
      echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
      cargo bench -q --bench "peers_$b" 2>&1
      echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
    } | tee "$out/$b.$i.txt" >&2
  done
done
elapsed=$(($(date +%s) - start))

for b in hot encode memory; do
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


def parse_divan(text):
    """{path tuple: median in ns} for every leaf of divan's tree."""
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
        if len(cols) >= 3 and cols[2]:
            value, unit = cols[2].split()
            rows[tuple(stack)] = float(value) * UNITS[unit]
    return rows


def fmt_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns:.3g} ns"


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


hot_runs, encode_runs = runs("hot"), runs("encode")
hot_text, encode_text = "".join(hot_runs), "".join(encode_runs)
memory_text = runs("memory")[-1]
hot = lowest(hot_runs)
encode = lowest(encode_runs)

PEERS = ["prometheus_client", "prometheus", "metrics", "measured"]
NAMES = {"prometheus_client": "prometheus-client"}
WORKLOADS = [
    ("counter_unlabeled", "1. counter, unlabeled", "atomic"),
    ("counter_labeled", "2. counter, 2 labels (18 combinations, random)", "atomic"),
    ("histogram_unlabeled", "3a. histogram, unlabeled", "hdrhistogram"),
    ("histogram_labeled", "3b. histogram, 2 labels (18 combinations, random)", "hdrhistogram"),
]

table = [
    "| workload | threads | tally | baseline | prometheus-client | prometheus | metrics | measured |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
]
losses = []
extra = [
    "| workload | threads | tally | metrics, handle registered once |",
    "|---|---:|---:|---:|",
]
for key, title, baseline in WORKLOADS:
    for threads in ("t=1", "t=2"):
        tally = hot.get((key, "tally", threads))
        if tally is None:
            continue
        cells = [f"**{fmt_ns(tally)}**"]
        for crate in [baseline] + PEERS:
            v = hot.get((key, crate, threads))
            if v is None:
                cells.append("n/a")
                continue
            cells.append(f"{fmt_ns(v)} ({v / tally:.1f}x)")
            if v < tally:
                losses.append(
                    f"- {title}, {threads[2:]} thread(s): {NAMES.get(crate, crate)} "
                    f"{fmt_ns(v)} vs tally {fmt_ns(tally)} (tally takes {tally / v:.2f}x as long)"
                )
        table.append(f"| {title} | {threads[2:]} | " + " | ".join(cells) + " |")
        handle = hot.get((key, "metrics_handle", threads))
        if handle is not None:
            extra.append(
                f"| {title} | {threads[2:]} | **{fmt_ns(tally)}** | {fmt_ns(handle)} ({handle / tally:.1f}x) |"
            )
baseline_names = (
    "`AtomicU64::fetch_add` shared by all threads (18 of them when labeled)\n"
    "for counters, `Mutex<hdrhistogram::Histogram<u64>>` for histograms"
)

ENCODE = [
    ("all", "4. encode 10,000 counter + 100 histogram series to text"),
    ("counters", "4a. of which: the 10,000 counter series alone"),
    ("histograms", "4b. of which: the 100 histogram series alone"),
]
enc_table = [
    "| workload | tally (snapshot + encode) | tally encode alone | prometheus-client | prometheus | metrics | measured |",
    "|---|---:|---:|---:|---:|---:|---:|",
]
for key, title in ENCODE:
    enc_tally = encode.get((key, "tally"))
    if enc_tally is None:
        continue
    text_only = encode.get((key, "tally_text_only"))
    cells = [f"**{fmt_ns(enc_tally)}**", fmt_ns(text_only) if text_only else "n/a"]
    for crate in PEERS:
        v = encode.get((key, crate))
        if v is None:
            cells.append("n/a")
            continue
        cells.append(f"{fmt_ns(v)} ({v / enc_tally:.1f}x)")
        if v < enc_tally:
            losses.append(
                f"- {title}: {NAMES.get(crate, crate)} "
                f"{fmt_ns(v)} vs tally {fmt_ns(enc_tally)} (tally takes {enc_tally / v:.2f}x as long)"
            )
    enc_table.append(f"| {title} | " + " | ".join(cells) + " |")
sizes = next((l for l in encode_text.splitlines() if l.startswith("output bytes")), "")

memory_tables = [l for l in memory_text.splitlines() if l.startswith("|") or not l.strip()]
memory_md = "\n".join(memory_tables).strip()

loads = [
    float(l.split()[0])
    for _, l in re.findall(r"load (before|after): (.*)", hot_text + encode_text + memory_text)
]
load_range = f"{min(loads):.1f} to {max(loads):.1f} on 2 CPUs" if loads else "n/a"

generated = f"""# Side-by-side benchmarks

tally against the crates a user would pick instead, measured in the same
run on the same machine. Generated by `scripts/bench.sh` (everything above
"Notes" is rewritten on each run).

**Machine:** {machine.get('cpu')} ({machine.get('nproc')} logical CPUs, {machine.get('mem')}),
{machine.get('kernel')}, {machine.get('rustc')}; run {machine.get('date')}.
The machine is shared and noisy (other engineers compile on it; load
averages over the last minute during the runs: {load_range}), so
single rows move by 10-30% between runs, mostly at 2 threads.

**Reproduce:** `scripts/bench.sh` (runs `cargo bench --bench peers_hot`,
`peers_encode` and `peers_memory`, then writes this file; about three
minutes after the build; `BENCH_REPEAT=1` for one run of each). Peers:
prometheus-client 0.25, prometheus 0.14, metrics 0.24 with
metrics-exporter-prometheus 0.18, measured 0.0.25 (dev-dependencies of the
benchmarks only).

## Hot path: ns per operation, ratio peer / tally

Each cell: the median of 100 samples of 262,144 operations, the lowest
over {len(hot_runs)} runs of the bench.

Baseline: {baseline_names}.

"2 threads" = both CPUs of the machine recording at once (divan
`threads = [1, 2]`), time per operation of each thread. A random label
combination per iteration comes from a precomputed table, identical for
every crate.

{chr(10).join(table)}

metrics is measured as its docs show it, a `counter!` / `histogram!` macro
per call (a registry lookup each time). Its docs also allow registering a
handle once and keeping it; for the unlabeled workloads that is:

{chr(10).join(extra)}

## Encoding: one scrape of 10,000 counter series and 100 histogram series, ratio peer / tally

Each cell: the median of 50 scrapes, the lowest over {len(encode_runs)} runs.

Each crate's own text encoder over the same series and values. tally's
time includes `registry.snapshot()` (the peers read their live metrics
while encoding); "tally encode alone" is `encode(Format::PrometheusText, ..)`
of a snapshot taken outside the timed loop, for reference. prometheus:
`gather()` + `TextEncoder`; metrics: `PrometheusHandle::render()`;
measured: `collect_family_into` a `BufferedTextEncoder` + `finish()`.
Output sizes in bytes (lines): {sizes.split(": ", 1)[-1]}.

{chr(10).join(enc_table)}

## Memory

Heap bytes per series (registry and family overhead included; counters:
10,000 series in 100 families; histograms: 100 series in one family,
tally's default HDR range 1 ns .. 1 h at 2 digits, the peers' 12 classic
buckets), and allocations per hot-path operation (10,000 operations on one
thread after every series exists).

{memory_md}

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
