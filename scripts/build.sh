#!/usr/bin/env bash
# Configures and builds one flavour of the project into build/<flavour>.
#   scripts/build.sh release   optimized, tests + benchmarks (RelWithDebInfo)
#   scripts/build.sh asan      Debug + AddressSanitizer + UndefinedBehaviorSanitizer, tests
#   scripts/build.sh fuzz      clang + libFuzzer targets (+ ASan/UBSan)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${1:-release}"
targets=()
jobs="${JOBS:-$(nproc)}"
case "$flavour" in
  release) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan)    args=(-DCMAKE_BUILD_TYPE=Debug -DBOOTPRINT_SANITIZE=ON -DBOOTPRINT_BUILD_BENCHMARKS=OFF) ;;
  fuzz)    targets=(--target fuzzers)  # the libFuzzer targets only, not the programs and libraries around them
           args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
                 -DBOOTPRINT_BUILD_FUZZERS=ON -DBOOTPRINT_SANITIZE=ON -DBOOTPRINT_BUILD_TESTS=OFF
                 -DBOOTPRINT_BUILD_BENCHMARKS=OFF) ;;
  *) echo "usage: $0 release|asan|fuzz" >&2; exit 2 ;;
esac
# A compiler cache, when the machine has one, makes rebuilds across work trees cheap (never required).
if command -v ccache >/dev/null 2>&1; then
  args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "build/$flavour" -G Ninja "${args[@]}" > "build-$flavour.configure.log" 2>&1 \
  || { cat "build-$flavour.configure.log"; exit 1; }
rm -f "build-$flavour.configure.log"
cmake --build "build/$flavour" -j "$jobs" "${targets[@]}"
