# A simulated lab behind a real controller, for the main job (scripts/run.sh) and the dashboard's
# browser test (tests/browser/run_dashboard_test.sh). Source it, set LAB_BIN (agent apps), LAB_SERVICE
# (bootprint-service) and LAB_DIR, then:
#   lab_start_controller [WEB_ROOT]      → LAB_URL, LAB_ADMIN, LAB_SECRET (a stop trap is installed)
#   lab_machines N                       → lab-01..lab-N created and enrolled in group "lab"
#   lab_night NAME BUILD TAGS ITERATIONS → tonight's template for the group (the previous one retired)
#   lab_image 'ARGS...'                  → every machine gets a new OS image (sim-lab image ARGS)
#   lab_run                              → every machine takes its job: boots, uploads, reports done
#   lab_stop_controller

lab_token() { head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='; }

lab_admin_post() {
  curl -fsS -X POST "$LAB_URL$1" -H "Authorization: Bearer $LAB_ADMIN" -H "Content-Type: application/json" \
    -d "$2" > /dev/null
}

lab_start_controller() {
  local web=()
  [ -n "${1:-}" ] && web=(--web-root "$1")
  mkdir -p "$LAB_DIR/controller"
  LAB_SECRET=$(lab_token)
  LAB_ADMIN=$(lab_token)
  (umask 077; printf 'enrol secret: %s\nadmin token:  %s\n' "$LAB_SECRET" "$LAB_ADMIN" > "$LAB_DIR/controller/secrets")
  rm -f "$LAB_DIR/controller/port"
  "$LAB_SERVICE" --database "$LAB_DIR/controller/controller.db" --listen 127.0.0.1 --port 0 \
    --port-file "$LAB_DIR/controller/port" --enrol-secret "$LAB_SECRET" --admin-token "$LAB_ADMIN" \
    "${web[@]}" 2> "$LAB_DIR/controller/service.log" &
  LAB_SERVICE_PID=$!
  trap 'kill -TERM "$LAB_SERVICE_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 200); do [ -s "$LAB_DIR/controller/port" ] && break; sleep 0.1; done
  if [ ! -s "$LAB_DIR/controller/port" ]; then
    echo "the controller did not start; its log:" >&2
    cat "$LAB_DIR/controller/service.log" >&2
    return 1
  fi
  LAB_URL="http://127.0.0.1:$(cat "$LAB_DIR/controller/port")"
}

lab_stop_controller() {
  kill -TERM "$LAB_SERVICE_PID" 2>/dev/null || true
  wait "$LAB_SERVICE_PID" 2>/dev/null || true
  trap - EXIT
}

lab_machines() {
  LAB_MACHINES=()
  local n
  for n in $(seq -f "%02g" 1 "$1"); do
    local m="$LAB_DIR/lab/lab-$n"
    "$LAB_BIN/bootprint-agent" --machine "$m" sim-lab init --name "lab-$n" --dpe 0 > /dev/null
    "$LAB_BIN/bootprint-agent" --machine "$m" connect --server "$LAB_URL" --enrol-secret "$LAB_SECRET" --group lab > /dev/null
    LAB_MACHINES+=("$m")
  done
}

# Tonight's job for group "lab": template NAME measuring BUILD; the previous night's assignment retired.
lab_night() {
  local name=$1 build=$2 tags=$3 iterations=$4
  local json_tags
  json_tags=$(printf '%s' "$tags" | awk -F, '{for (i = 1; i <= NF; i++) printf "%s\"%s\"", (i > 1 ? "," : ""), $i}')
  if [ -n "${LAB_TEMPLATE:-}" ]; then
    lab_admin_post /v1/admin/assignments \
      "{\"template\":\"$LAB_TEMPLATE\",\"group\":\"lab\",\"schedule\":\"nightly at 01:00\",\"active\":false}"
  fi
  lab_admin_post /v1/admin/templates \
    "{\"name\":\"$name\",\"spec\":{\"tags\":[$json_tags],\"iterations\":$iterations,\"resident_set\":true,\"labels\":{\"build\":\"$build\"}}}"
  lab_admin_post /v1/admin/assignments \
    "{\"template\":\"$name\",\"group\":\"lab\",\"schedule\":\"nightly at 01:00\",\"not_before\":\"2020-01-01\"}"
  LAB_TEMPLATE=$name
}

lab_image() {
  local m
  for m in "${LAB_MACHINES[@]}"; do
    # shellcheck disable=SC2086  # ARGS is a list of options
    eval "\"\$LAB_BIN/bootprint-agent\" --machine \"\$m\" sim-lab image $1" > /dev/null
  done
}

lab_run() {
  local m
  for m in "${LAB_MACHINES[@]}"; do
    "$LAB_BIN/bootprint-agent" --machine "$m" sim-lab run >> "$m/agent-run.log" 2>&1 || {
      echo "$(basename "$m"): the simulated machine failed; its logs: $m/agent-run.log, $m/agent.log" >&2
      return 1
    }
    # The job is reported done once its reports are uploaded: one more start of the agent does that if
    # the last boot's upload was still pending (it never is on loopback, but the rule is the agent's).
    printf '%s: %s\n' "$(basename "$m")" "$("$LAB_BIN/bootprint-agent" --machine "$m" campaign status | head -1)"
  done
}
