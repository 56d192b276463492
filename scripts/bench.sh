#!/usr/bin/env bash
# Benchmarks (not tests): builds the release flavour and runs every benchmark, printing figures.
#   scripts/bench.sh [etl|ingest|controller|all]   (default: all)
# Run on a quiet machine: the figures are wall-clock throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
which="${1:-all}"
for b in build/release/tests/bench/bench_*; do
  name=$(basename "$b"); name=${name#bench_}
  if [ "$which" = all ] || [ "$which" = "$name" ]; then
    echo "== bench_$name"
    "$b"
  fi
done
