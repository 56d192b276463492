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

echo; echo "== 6. The controller on an embedded SQLite database, and a lab of three agents =="
ctl="$out/controller"
mkdir -p "$ctl"
token() { head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='; }
secret=$(token)
admin=$(token)
(umask 077; printf 'enrol secret: %s\nadmin token:  %s\n' "$secret" "$admin" > "$ctl/secrets")
"$service_bin" --database "$ctl/controller.db" --listen 127.0.0.1 --port 0 \
  --port-file "$ctl/port" --enrol-secret "$secret" --admin-token "$admin" 2> "$ctl/service.log" &
service_pid=$!
trap 'kill -TERM "$service_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$ctl/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$ctl/port")"
echo "controller at $url (database $ctl/controller.db)"
admin_post() {
  curl -fsS -X POST "$url$1" -H "Authorization: Bearer $admin" -H "Content-Type: application/json" -d "$2"
  echo
}
# The nightly template for group "lab", due now: the newest 01:00 slot, not_before in the past.
admin_post /v1/admin/templates \
  '{"name":"nightly","spec":{"tags":["Ntfx","Cnto","Irp","Acp*"],"iterations":3,"resident_set":true,"labels":{"build":"26100.2"}}}'
admin_post /v1/admin/assignments \
  '{"template":"nightly","group":"lab","schedule":"nightly at 01:00","not_before":"2020-01-01"}'
for n in 01 02 03; do
  m="$out/lab/lab-$n"
  "$bin/bootprint-agent" --machine "$m" sim-lab init --name "lab-$n" --dpe 0
  "$bin/bootprint-agent" --machine "$m" connect --server "$url" --enrol-secret "$secret" --group lab
done
for n in 01 02 03; do
  echo "-- lab-$n takes its job: 3 boots, each report uploaded through the outbox"
  "$bin/bootprint-agent" --machine "$out/lab/lab-$n" sim-lab run 2> "$out/lab/lab-$n/agent-run.log"
  "$bin/bootprint-agent" --machine "$out/lab/lab-$n" campaign status | head -2
done

echo; echo "== 7. The controller's history: tag Ntfx per machine (median and spread over 3 boots) =="
"$bin/bootprint" query agents --server "$url" --token "$admin"
"$bin/bootprint" query series --server "$url" --token "$admin" --kind tag --key Ntfx
"$bin/bootprint" query series --server "$url" --token "$admin" --kind total --key pool
echo "reports stored: $("$bin/bootprint" query reports --server "$url" --token "$admin" --format csv | tail -n +2 | wc -l)"
kill -TERM "$service_pid"
wait "$service_pid" || true
trap - EXIT

echo
echo "Results: $out/ (nightly.wprp, pool-last-boot.csv, summary.json; the lab machine in $machine:"
echo "its database agent.db, traces under data/campaigns/, logs agent.log and machine.log)"
echo "The controller (stopped): database $ctl/controller.db, log $ctl/service.log, tokens $ctl/secrets;"
echo "it listened on $url. Its lab: $out/lab/lab-01..03 (agent.db with the outbox, agent-run.log)."
