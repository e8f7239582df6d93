#!/usr/bin/env bash
# Runs tally's whole test suite on a fresh Debian machine: installs what the
# interoperability tests run against (Debian's prometheus 2.42 for promtool
# and a real server, the Pushgateway, VictoriaMetrics, chromium, the Python
# prometheus_client parser and opentelemetry-proto, cargo-nextest and
# cargo-hack), then:
#   1. the feature matrix, as a user meets it: the facade with no default
#      features, each feature alone, default and all features: every
#      target builds and documents with warnings as errors; every other
#      crate checked with each feature; `cargo test` (unit, integration,
#      examples, doc tests) with default features and with none;
#   2. every crate's unit, integration and UI tests with all features;
#   3. the doc tests with all features;
#   4. `cargo package` of every published crate (each built from its own
#      tarball);
#   5. the loom model checks.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  echo "== installing Debian's prometheus (promtool + server) =="
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq prometheus >/dev/null
fi
if ! command -v prometheus-pushgateway >/dev/null || ! command -v victoria-metrics >/dev/null; then
  echo "== installing Debian's Pushgateway and VictoriaMetrics (push tests) =="
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq prometheus-pushgateway victoria-metrics >/dev/null
fi
if ! python3 -c "import opentelemetry.proto.collector.metrics.v1.metrics_service_pb2" 2>/dev/null; then
  echo "== installing the opentelemetry-proto Python package (OTLP push tests) =="
  python3 -m pip install -q opentelemetry-proto
fi
if ! python3 -c "import prometheus_client" 2>/dev/null; then
  echo "== installing the prometheus_client Python parser =="
  python3 -m pip install -q prometheus_client
fi
if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
  echo "== installing Debian's chromium + chromium-driver (live page browser tests) =="
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium chromium-driver >/dev/null
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "== installing cargo-nextest =="
  cargo install -q cargo-nextest --locked
fi
if ! cargo hack --version >/dev/null 2>&1; then
  echo "== installing cargo-hack =="
  cargo install -q cargo-hack --locked
fi

# No warning anywhere: every build, test and doc below fails on one.
export RUSTFLAGS="-D warnings"
export RUSTDOCFLAGS="-D warnings"

echo "== feature matrix: the facade with no default features, each feature alone, default, all =="
# Every target (lib, tests, examples) of every feature set builds without
# a warning, and its documentation too.
cargo hack check -p tally-metrics --each-feature --all-targets
cargo hack doc -p tally-metrics --each-feature --no-deps
echo "== feature matrix: the other crates, each feature alone =="
cargo hack check --workspace --exclude tally-metrics --each-feature --all-targets
echo "== what a user types first: cargo test (default features), and without default features =="
cargo test -p tally-metrics
cargo test -p tally-metrics --no-default-features

echo "== unit, integration and UI tests =="
cargo nextest run --workspace --all-features --no-fail-fast

echo "== doc tests =="
cargo test --workspace --all-features --doc

echo "== cargo package: every published crate, built from its own tarball =="
cargo package --workspace --exclude tally-benches --allow-dirty

echo "== loom model checks (thread-slot handoff) =="
RUSTFLAGS="--cfg tally_loom" CARGO_TARGET_DIR=target/loom \
  cargo test -p tally-core --lib --release loom
