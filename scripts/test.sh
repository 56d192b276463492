#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install, build, test.
#  1. unit + integration tests under ASan/UBSan (ctest)
#  2. every libFuzzer target for a bounded time under ASan/UBSan (FUZZ_SECONDS each, default 30)
#  3. the Windows agent: cross-built with MinGW-w64, its unit tests and the service test under Wine
#     (scripts/windows.sh, docs/windows-agent.md)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/setup.sh

t0=$(date +%s)
bash scripts/build.sh asan
echo "timing: asan build $(( $(date +%s) - t0 )) s"

t0=$(date +%s)
ctest --test-dir build/asan --output-on-failure -j "$(nproc)" --timeout 600
echo "timing: tests $(( $(date +%s) - t0 )) s"

t0=$(date +%s)
bash scripts/build.sh fuzz
bash tests/fuzz/run_fuzzers.sh build/fuzz "${FUZZ_SECONDS:-30}"
echo "timing: fuzz build + runs $(( $(date +%s) - t0 )) s"

t0=$(date +%s)
bash scripts/windows.sh
echo "timing: windows half $(( $(date +%s) - t0 )) s"

echo "timing: total $(( $(date +%s) - start )) s"
