#!/usr/bin/env bash
# Installs everything Bootprint needs to build and test, from Debian 12's package registry.
# Idempotent: when every package is already installed it does nothing (no network).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libsqlite3-dev sqlite3
  catch2 libcli11-dev libpugixml-dev libssl-dev
  clang libclang-rt-14-dev llvm        # libFuzzer, sanitizers for the fuzz targets
  libxml2-utils                        # xmllint: profiles are checked against WPR's XSD in tests
  curl                                 # the main job (scripts/run.sh) calls the controller's admin API
  libpq-dev postgresql-15              # the controller's PostgreSQL store; its tests start a throw-away server
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# The PostgreSQL tests start their own server in a temporary directory: no system cluster is wanted.
# postgresql-common reads createcluster.d before the package creates its "main" cluster.
if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
  $SUDO mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/bootprint.conf >/dev/null
fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
