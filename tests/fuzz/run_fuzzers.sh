#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD/tests/fuzz for SECONDS each, seeded with tests/fuzz/corpus/<name>
# (and, for the reader, the small files of ../shared/etl when present). Exits non-zero on any crash;
# crash inputs are left in build/fuzz-artifacts/ — turn each into a named regression test.
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build/fuzz}"
seconds="${2:-30}"
artifacts="build/fuzz-artifacts"
mkdir -p "$artifacts"
status=0
for bin in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin"); name=${name#fuzz_}
  work=$(mktemp -d)
  if [ -d "tests/fuzz/corpus/$name" ]; then cp -r "tests/fuzz/corpus/$name/." "$work/" 2>/dev/null || true; fi
  for r in tests/fuzz/regressions/"$name"-*; do [ -f "$r" ] && cp "$r" "$work/"; done
  if [ "$name" = "etl_reader" ] && [ -d ../shared/etl ]; then
    find ../shared/etl -name '*.etl' -size -300k -exec cp {} "$work/" \;
  fi
  echo "fuzz: $name for ${seconds}s (seeds: $(ls "$work" | wc -l))"
  if ! "$bin" "$work" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
       -artifact_prefix="$artifacts/${name}-" -print_final_stats=1 > "$artifacts/$name.log" 2>&1; then
    echo "fuzz: $name FAILED; last lines of $artifacts/$name.log:"; tail -40 "$artifacts/$name.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|Done" "$artifacts/$name.log" | tail -2 | sed "s/^/fuzz: $name: /"
  fi
  rm -rf "$work"
done
exit $status
