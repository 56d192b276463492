#!/usr/bin/env bash
# The Windows half of CI (docs/windows-agent.md): cross-build the agent with MinGW-w64 into
# build/windows, then run its unit tests and the service test under Wine in a throw-away prefix.
#   scripts/windows.sh            set-up (packages, third-party sources), build, tests; prints timings
#   scripts/windows.sh build      set-up and build only
# Nothing here can shut the host down: Wine's InitiateSystemShutdownExW is a stub, and the service test
# replaces the power port by a recording double anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
build="$root/build/windows"
third="$root/build/windows-third-party"
jobs="${JOBS:-$(nproc)}"
stamp() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(stamp)" 'BEGIN { printf "%.1f", b - a }'; }

# --- third-party sources: fetched from package registries, pinned, checksummed -------------------
# SQLite: the official amalgamation tarball inside npm's sqlite3@6.0.1 (windows-on-linux.md §2).
SQLITE_NPM=sqlite3@6.0.1
SQLITE_TARBALL=sqlite-autoconf-3520000
SQLITE_TARBALL_SHA256=f6b50b0c103392af32a8be15b2b9d25959de9a00a70c3979128aafeaa5338b3f
SQLITE_C_SHA256=a503acc9fe98f628eed36eb2aa2116a26f2541270d757f9b7cdbc2f19eb72b8f
# pugixml: Debian's own source package (the version the Linux build links), bookworm main.
PUGIXML_DEB=pugixml=1.13-0.2
PUGIXML_ORIG_SHA256=5c5ad5d7caeb791420408042a7d88c2c6180781bf218feca259fd9d840a888e1

check_sha() {  # file expected
  local got; got="$(sha256sum "$1" | cut -d' ' -f1)"
  if [ "$got" != "$2" ]; then echo "windows: checksum mismatch for $1: $got, expected $2" >&2; exit 1; fi
}

fetch_third_party() {
  if [ -f "$third/VERSIONS" ] && [ -f "$third/sqlite/sqlite3.c" ] && [ -f "$third/pugixml/pugixml.cpp" ]; then
    return
  fi
  rm -rf "$third" && mkdir -p "$third/sqlite" "$third/pugixml" "$third/download"
  ( cd "$third/download" && npm pack --silent "$SQLITE_NPM" >/dev/null 2>&1 ) \
    || { echo "windows: npm pack $SQLITE_NPM failed (is the npm registry reachable?)" >&2; exit 1; }
  tar xzf "$third/download/"sqlite3-*.tgz -C "$third/download" "package/deps/$SQLITE_TARBALL.tar.gz"
  check_sha "$third/download/package/deps/$SQLITE_TARBALL.tar.gz" "$SQLITE_TARBALL_SHA256"
  tar xzf "$third/download/package/deps/$SQLITE_TARBALL.tar.gz" --no-same-owner --strip-components=1 \
    -C "$third/sqlite" "$SQLITE_TARBALL/sqlite3.c" "$SQLITE_TARBALL/sqlite3.h" "$SQLITE_TARBALL/sqlite3ext.h"
  check_sha "$third/sqlite/sqlite3.c" "$SQLITE_C_SHA256"
  # apt-get source with a private deb-src list and state folder: the machine's apt set-up is untouched.
  local apt="$third/download/apt"
  mkdir -p "$apt/etc" "$apt/lists/partial" "$apt/cache"
  cat > "$apt/etc/debian-src.sources" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  local opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/etc"
              -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -qq >/dev/null \
    || { echo "windows: apt-get update of the deb-src list failed" >&2; exit 1; }
  ( cd "$third/download" && apt-get "${opts[@]}" source --download-only -qq "$PUGIXML_DEB" >/dev/null ) \
    || { echo "windows: apt-get source $PUGIXML_DEB failed" >&2; exit 1; }
  check_sha "$third/download/pugixml_1.13.orig.tar.gz" "$PUGIXML_ORIG_SHA256"
  tar xzf "$third/download/pugixml_1.13.orig.tar.gz" --no-same-owner --strip-components=2 -C "$third/pugixml" \
    pugixml-1.13/src/pugixml.cpp pugixml-1.13/src/pugixml.hpp pugixml-1.13/src/pugiconfig.hpp
  local sqlite_version; sqlite_version="$(sed -n 's/^#define SQLITE_VERSION  *"\(.*\)"/\1/p' "$third/sqlite/sqlite3.h")"
  {
    echo "sqlite $sqlite_version from npm $SQLITE_NPM ($SQLITE_TARBALL.tar.gz sha256 $SQLITE_TARBALL_SHA256," \
         "sqlite3.c sha256 $SQLITE_C_SHA256)"
    echo "pugixml 1.13 from Debian source package $PUGIXML_DEB (orig.tar.gz sha256 $PUGIXML_ORIG_SHA256)"
  } > "$third/VERSIONS"
  rm -rf "$third/download"
}

export WINEPREFIX="$build/wineprefix" WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml,winemenubuilder.exe,winedbg.exe=d"
server_started=0
cleanup() {
  # Only the wineserver of our own prefix (wineserver -k acts on $WINEPREFIX's server alone).
  if [ "$server_started" = 1 ] || [ -d "$WINEPREFIX" ]; then
    wineserver -k >/dev/null 2>&1 || true
    wineserver -w >/dev/null 2>&1 || true
  fi
}

t_all=$(stamp)
t=$(stamp)
bash scripts/setup.sh windows
fetch_third_party
echo "timing: windows set-up (packages, sqlite $(cut -d' ' -f2 "$third/VERSIONS" | head -1), pugixml) $(elapsed "$t") s"
cat "$third/VERSIONS"

mkdir -p "$build"
trap cleanup EXIT
prefix_pid=""
if [ "${1:-}" != build ] && [ ! -f "$WINEPREFIX/system.reg" ]; then
  # The prefix (7-8 s) is created while the compiler runs; its output goes nowhere (trap 7.2).
  ( t0=$(stamp); wineboot -i && wineserver -w; echo "$(elapsed "$t0")" > "$build/prefix-time" ) \
    </dev/null >/dev/null 2>&1 &
  prefix_pid=$!
fi

t=$(stamp)
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw64.cmake \
  -DCMAKE_BUILD_TYPE=Release -DBOOTPRINT_THIRD_PARTY_DIR="$third" "${launcher[@]}" \
  > "$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j "$jobs"
echo "timing: windows cross-build $(elapsed "$t") s"
if [ "${1:-}" = build ]; then exit 0; fi

if [ -n "$prefix_pid" ]; then
  t=$(stamp)
  wait "$prefix_pid"
  echo "timing: wine prefix init $(cat "$build/prefix-time") s (waited $(elapsed "$t") s after the build)"
fi
# One persistent server for all tests (trap 7.1, 7.5), its helpers booted with no inherited stdio (7.2).
wineserver -p </dev/null >/dev/null 2>&1
server_started=1
wine cmd /c exit </dev/null >/dev/null 2>&1
export BOOTPRINT_WINESERVER_MANAGED=1

t=$(stamp)
ctest --test-dir "$build" --output-on-failure --timeout 300 -LE service
echo "timing: windows unit tests $(elapsed "$t") s"
t=$(stamp)
ctest --test-dir "$build" --output-on-failure --timeout 300 -L service
echo "timing: windows service test $(elapsed "$t") s"
echo "timing: windows total $(elapsed "$t_all") s"
