#!/usr/bin/env bash
# Installs everything Bootprint needs to build and test, from Debian 12's package registry.
# Idempotent: when every package is already installed it does nothing (no network).
#   scripts/setup.sh            the Linux build and tests
#   scripts/setup.sh windows    the Windows cross-build and Wine (scripts/windows.sh), on top of those
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libsqlite3-dev sqlite3
  catch2 libcli11-dev libpugixml-dev libssl-dev
  clang libclang-rt-14-dev llvm        # libFuzzer, sanitizers for the fuzz targets
  llvm-14-dev                          # bootprint::symbols: LLVM 14's PDB reader (static component libs)
  clang-14 clang-tools-14 lld-14 llvm-14  # clang-cl-14, lld-link-14, llvm-dlltool-14: the tests' PDBs
  libxml2-utils                        # xmllint: profiles are checked against WPR's XSD in tests
  curl                                 # the main job (scripts/run.sh) calls the controller's admin API
  chromium                             # the dashboard's browser tests (headless, driven by playwright-core)
  libpq-dev postgresql-15              # the controller's PostgreSQL store; its tests start a throw-away server
)
if [ "${1:-}" = windows ]; then
  # MinGW-w64 with the posix thread model only (the win32 model lacks std::mutex; installing it would
  # take the x86_64-w64-mingw32-g++ alternative over), 64-bit Wine without recommends
  # (docs/windows-agent.md). npm (from the machine's Node.js) fetches the SQLite amalgamation.
  PACKAGES+=(g++-mingw-w64-x86-64-posix wine64 wine)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js and npm: the dashboard's chart library and the browser tests' driver come from the npm
# registry. A machine that already has node (e.g. NodeSource's, which bundles npm) keeps it.
if ! command -v npm > /dev/null 2>&1; then missing+=(nodejs npm); fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# The PostgreSQL tests start their own server in a temporary directory: no system cluster is wanted.
# postgresql-common reads createcluster.d before the package creates its "main" cluster.
if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
  $SUDO mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/bootprint.conf >/dev/null
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
else
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages, exactly as locked (package-lock.json); skipped when node_modules matches the lock.
cd "$(dirname "$0")/.."
for dir in service/web tests/browser; do
  if [ -d "$dir/node_modules" ] && cmp -s "$dir/package-lock.json" "$dir/node_modules/.bootprint-lock"; then
    continue
  fi
  echo "setup: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.bootprint-lock)
done
echo "setup: done"
