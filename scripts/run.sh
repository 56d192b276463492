#!/usr/bin/env bash
# The main job on an embedded default, from a fresh machine: install, build (release), run.
#
# A simulated lab machine runs a 3-boot campaign for four pool tags, unattended: the agent writes the
# WPR boot profile, sets DisablePagingExecutive (and reboots), arms a boot trace, "reboots", waits for
# the boot to settle, stops the trace, ingests it, queues the report, and restores the machine. Then
# the analyst's CLI shows per tag and per driver, median and spread across boots, and the last boot's
# pool table and resident driver code. Finally a controller (SQLite, with its dashboard) runs a lab of
# three simulated machines for two nightly builds, the second of which grows a pool tag and brings a new
# one: `bootprint diff` and the recorded alerts name them, the dashboard shows them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
bin=build/release/agent/apps
service_bin=build/release/service/bootprint-service
out=out/main-job
rm -rf "$out"
mkdir -p "$out"
machine="$out/lab-01"
tags="Ntfx,Cnto,Irp,Acp*"

echo; echo "== 1. The WPR boot profile for pool tags $tags (+ resident set) =="
"$bin/bootprint" profile create --tags "$tags" --resident-set --name Nightly -o "$out/nightly.wprp"
"$bin/bootprint" profile inspect "$out/nightly.wprp"

echo; echo "== 2. A simulated lab machine runs a 3-boot campaign (build 26100.1) =="
"$bin/bootprint-agent" --machine "$machine" sim-lab init --name lab-01 --dpe 0
"$bin/bootprint-agent" --machine "$machine" campaign start --id nightly-26100.1 --build 26100.1 -n 3 \
  --tags "$tags" --dpe on
"$bin/bootprint-agent" --machine "$machine" sim-lab run
"$bin/bootprint-agent" --machine "$machine" campaign status

db="$machine/agent.db"
echo; echo "== 3. Across the 3 boots: median and spread per pool tag and per driver =="
"$bin/bootprint" summary "$db" --campaign nightly-26100.1

echo; echo "== 4. The last boot: WPA's pool table and the drivers' resident code =="
last=(--campaign nightly-26100.1 --iteration 3)
"$bin/bootprint" pool "$db" "${last[@]}" | head -20
"$bin/bootprint" residentset "$db" "${last[@]}" --category Driver --list Active | head -15
"$bin/bootprint" pool "$db" "${last[@]}" --csv > "$out/pool-last-boot.csv"
"$bin/bootprint" summary "$db" --campaign nightly-26100.1 --json > "$out/summary.json"

echo; echo "== 5. The reader on a real trace (when ../shared is present) =="
if [ -d ../shared/etl ]; then
  "$bin/bootprint" etl stats ../shared/etl/perfview_net.4.5.2.x64.etl | sed -n 1,16p  # sed reads all: no SIGPIPE
fi

echo; echo "== 6. The controller (SQLite, dashboard) and a lab of three machines, two nights =="
LAB_BIN=$bin LAB_SERVICE=$service_bin LAB_DIR="$out"
# shellcheck source=lib/lab.sh
source scripts/lib/lab.sh
lab_start_controller "$PWD/service/web"
echo "controller at $LAB_URL (database $out/controller/controller.db; tokens in $out/controller/secrets)"
lab_machines 3
lab_tags="Ntfx,Irp,AcpM,Bpx1"
echo "-- night 1: build 26100.1, 4 boots per machine, each report uploaded through the agent's outbox"
lab_night nightly-26100.1 26100.1 "$lab_tags" 4
lab_run
echo "-- the lab installs build 26100.2: Ntfx allocates 3x, contoso_filter.sys brings a new tag Bpx1"
lab_image "--grow Ntfx=3 --add-pool '{\"tag\":\"Bpx1\",\"driver\":\"contoso_filter.sys\",\"size\":8192,\"count\":256,\"free_fraction\":0}'"
echo "-- night 2: build 26100.2"
lab_night nightly-26100.2 26100.2 "$lab_tags" 4
lab_run

q=(--server "$LAB_URL" --token "$LAB_ADMIN")
echo; echo "== 7. The morning question: did 26100.2 grow kernel memory, which tag or driver, is it real? =="
"$bin/bootprint" diff --build 26100.1 --build 26100.2 "${q[@]}" | head -12
"$bin/bootprint" diff --build 26100.1 --build 26100.2 "${q[@]}" --format csv > "$out/diff-26100.1-26100.2.csv"
echo; echo "-- the alerts recorded when each machine's nightly job completed"
"$bin/bootprint" query alerts "${q[@]}"
echo; echo "-- history: tag Ntfx, one point per machine and night (median and spread over 4 boots)"
"$bin/bootprint" query series "${q[@]}" --kind tag --key Ntfx
echo "reports stored: $("$bin/bootprint" query reports "${q[@]}" --format csv | tail -n +2 | wc -l)"

dashboard="$LAB_URL/#/compare?a=26100.1&b=26100.2&token=$LAB_ADMIN"
if command -v chromium > /dev/null 2>&1; then
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --no-first-run --disable-sync --user-data-dir="$out/.chromium" --window-size=1400,1100 \
    --virtual-time-budget=8000 --screenshot="$out/dashboard-compare.png" "$dashboard" > /dev/null 2>&1 || true
  rm -rf "$out/.chromium"
  [ -s "$out/dashboard-compare.png" ] && echo "dashboard screenshot: $out/dashboard-compare.png"
fi

echo
echo "Results: $out/ (nightly.wprp, pool-last-boot.csv, summary.json, diff-26100.1-26100.2.csv; the first"
echo "lab machine in $machine; the controller's lab in $out/lab/lab-01..03)"
if [ -t 0 ] && [ -t 1 ] && [ -z "${CI:-}" ]; then
  echo
  echo "The dashboard: $dashboard"
  echo "(fleet, campaigns, trends, build vs build, alerts). Press Enter to stop the controller."
  read -r _ || true
else
  echo "The dashboard was at $LAB_URL/ (run this script in a terminal to keep it serving)."
fi
lab_stop_controller
