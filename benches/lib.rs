//! tally's side-by-side benchmarks live in this package's bench targets
//! (`cargo bench -p tally-benches`, or `scripts/bench.sh`); this library
//! is empty, a package needs one target besides its benches.
