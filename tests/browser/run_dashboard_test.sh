#!/usr/bin/env bash
# The dashboard's browser test (ctest: dashboard_browser). Fills a real controller from the simulated
# lab — three machines, two nights: build 26100.1, then 26100.2 whose image grows tag Ntfx and brings a
# new tag Bpx1 — and checks every page in headless Chromium (dashboard.test.mjs). Screenshots land in
# OUT/screenshots. Exit 77 (skipped) when Chromium, node or the npm packages are missing.
#   run_dashboard_test.sh AGENT_BIN_DIR SERVICE_BINARY SOURCE_DIR OUT_DIR
set -euo pipefail
LAB_BIN=$1
LAB_SERVICE=$2
src=$3
LAB_DIR=$4
for need in /usr/bin/chromium node; do
  command -v "$need" > /dev/null || { echo "SKIP: $need is not installed (scripts/setup.sh installs it)"; exit 77; }
done
for pkg in "$src/tests/browser/node_modules/playwright-core" "$src/service/web/node_modules/chart.js"; do
  [ -d "$pkg" ] || { echo "SKIP: $pkg missing (scripts/setup.sh runs npm ci)"; exit 77; }
done
rm -rf "$LAB_DIR"
mkdir -p "$LAB_DIR"
# shellcheck source=../../scripts/lib/lab.sh
source "$src/scripts/lib/lab.sh"

lab_start_controller "$src/service/web"
echo "controller at $LAB_URL"
lab_machines 3
tags="Ntfx,Irp,AcpM,Bpx1"
lab_night nightly-1 26100.1 "$tags" 4
lab_run
lab_image "--grow Ntfx=3 --add-pool '{\"tag\":\"Bpx1\",\"driver\":\"contoso_filter.sys\",\"size\":8192,\"count\":256,\"free_fraction\":0}'"
lab_night nightly-2 26100.2 "$tags" 4
lab_run

BOOTPRINT_URL=$LAB_URL BOOTPRINT_TOKEN=$LAB_ADMIN SCREENSHOT_DIR="$LAB_DIR/screenshots" EXPECT_MACHINES=3 \
  EXPECT_CAMPAIGNS=6 node "$src/tests/browser/dashboard.test.mjs"
lab_stop_controller
