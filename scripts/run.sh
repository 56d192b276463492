#!/usr/bin/env bash
# The main job on an embedded default, from a fresh machine: install, build (release), run.
#
# A simulated lab machine runs a 3-boot campaign for four pool tags, unattended: the agent writes the
# WPR boot profile, sets DisablePagingExecutive (and reboots), arms a boot trace, "reboots", waits for
# the boot to settle, stops the trace, ingests it, queues the report, and restores the machine. Then
# the analyst's CLI shows what the lab wants each morning: per tag and per driver, median and spread
# across boots, and the last boot's pool table and resident driver code.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
bin=build/release/agent/apps
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
  "$bin/bootprint" etl stats ../shared/etl/perfview_net.4.5.2.x64.etl | head -16
fi

echo
echo "Results: $out/ (nightly.wprp, pool-last-boot.csv, summary.json; the lab machine in $machine:"
echo "its database agent.db, traces under data/campaigns/, logs agent.log and machine.log)"
