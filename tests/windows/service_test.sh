#!/usr/bin/env bash
# The Windows agent as a real service under Wine, end to end (ctest windows_service; docs/windows-agent.md):
#   sc create / sc start the real bootprint-agent.exe with the stand-in wpr.exe (tests/windows/stand_in_wpr.cpp),
#   a one-boot campaign with DisablePagingExecutive on: the agent sets the value (checked with reg query),
#   asks for a reboot, arms the boot trace (checked: the autologger key, wpr's command lines), asks for a
#   reboot, settles, stops the trace, ingests it, restores the value, asks for a last reboot, and is done.
#   Each "reboot" is sc stop + sc start: the power port is the recording double (--test-power), so nothing
#   can shut the host down. Then sc stop / sc delete, and `service install|uninstall` on its own.
# Usage: service_test.sh AGENT_EXE WPR_EXE WORK_DIR (Linux paths; WINEPREFIX etc. from scripts/windows.sh)
set -euo pipefail
agent_linux="$1"; wpr_linux="$2"; work="$3"
export WINEPREFIX="${WINEPREFIX:?WINEPREFIX must name the throw-away prefix of the build}"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml,winemenubuilder.exe,winedbg.exe=d"
svc=BootprintAgent
winpath() { readlink -f "$1" | sed -e 's|/|\\|g' -e 's|^|Z:|'; }
fail() { echo "FAIL: $*" >&2; echo "--- agent log" >&2; cat "$work/data/logs/agent.log" >&2 || true
         echo "--- wpr calls" >&2; cat "$work/wpr/wpr-calls.log" >&2 || true; exit 1; }
w() { wine "$@" </dev/null 2>/dev/null | tr -d '\r'; }   # Windows tool output, CRLF removed
t0=$(date +%s.%N)
step() { printf '[%5.1f s] %s\n' "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$*"; }

# A server of our own unless scripts/windows.sh runs one (trap 7.1: services die with the last client).
own_server=0
if [ -z "${BOOTPRINT_WINESERVER_MANAGED:-}" ]; then
  wineserver -p </dev/null >/dev/null 2>&1
  own_server=1
  wine cmd /c exit </dev/null >/dev/null 2>&1     # helpers booted with no inherited pipes (trap 7.2)
fi
cleanup() {
  wine sc stop "$svc" </dev/null >/dev/null 2>&1 || true
  wine sc delete "$svc" </dev/null >/dev/null 2>&1 || true
  if [ "$own_server" = 1 ]; then wineserver -k >/dev/null 2>&1 || true; wineserver -w || true; fi
}
trap cleanup EXIT
wine sc delete "$svc" </dev/null >/dev/null 2>&1 || true   # a leftover of an interrupted run

rm -rf "$work"; mkdir -p "$work/data" "$work/wpr"
cp "$wpr_linux" "$work/wpr/wpr.exe"
agent="$(winpath "$agent_linux")"; data="$(winpath "$work/data")"; wpr="$(winpath "$work/wpr/wpr.exe")"
mm='HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Memory Management'
autologger='HKLM\SYSTEM\CurrentControlSet\Control\WMI\Autologger\WPR_initiated_WprApp_boottr_WPR System Collector'
wine reg add "$mm" /v DisablePagingExecutive /t REG_DWORD /d 0 /f </dev/null >/dev/null 2>&1
wine reg delete "$autologger" /f </dev/null >/dev/null 2>&1 || true

dpe() { w reg query "$mm" /v DisablePagingExecutive | awk '/DisablePagingExecutive/ {print $3}'; }
state() { w sc query "$svc" | awk '/STATE/ {print $3}'; }
wait_state() {  # number (4 RUNNING, 1 STOPPED), seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do [ "$(state)" = "$1" ] && return 0; sleep 0.1; done
  fail "service state is $(state), expected $1 after $2 s"
}
wait_file() {  # path, seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do [ -f "$1" ] && return 0; sleep 0.1; done
  fail "no $1 after $2 s"
}
request="$work/data/test-power/reboot-request.json"
reboot() {  # the machine restarts: the service stops, and starts again at boot
  wait_file "$request" 60
  step "reboot requested: $(cat "$request")"
  w sc stop "$svc" >/dev/null; wait_state 1 60
  w sc start "$svc" >/dev/null; wait_state 4 30
  step "service running again (simulated boot)"
}
campaign_state() { wine "$agent_linux" --data-dir "$data" --wpr "$wpr" campaign status --json </dev/null 2>/dev/null |
                   python3 -c 'import json,sys; print(json.load(sys.stdin)["campaign"]["state"])'; }

step "campaign start (console)"
wine "$agent_linux" --data-dir "$data" --wpr "$wpr" campaign start --id wine-e2e --build 26100.1 -n 1 \
  --tags Ntfx --dpe on --settle-idle-ms 1000 --settle-window-ms 250 --settle-max-ms 5000 </dev/null \
  || fail "campaign start"
[ "$(dpe)" = 0x0 ] || fail "DisablePagingExecutive should start at 0, is $(dpe)"

step "sc create / sc start"
wine sc create "$svc" binpath= "$agent --data-dir $data --wpr $wpr run --test-power --poll-ms 500 --retry-backoff-ms 500" \
  start= demand </dev/null >/dev/null 2>&1 || fail "sc create"
w sc start "$svc" >/dev/null
wait_state 4 30
step "service RUNNING"

# 1. DisablePagingExecutive set, then a reboot for it to take effect.
wait_file "$request" 60
[ "$(dpe)" = 0x1 ] || fail "reg query: DisablePagingExecutive is $(dpe), expected 0x1"
step "reg query: DisablePagingExecutive = 0x1"
reboot
# 2. Armed: the stand-in wpr configured the autologger; then the reboot of the traced boot.
wait_file "$request" 60
w reg query "$autologger" /v Start | grep -q 'REG_DWORD *0x1' || fail "autologger Start is not 1"
grep -q -- '-addboot .*wine-e2e.*\.wprp!.* -filemode -recordtempto ' "$work/wpr/wpr-calls.log" \
  || fail "wpr -addboot not called as expected"
step "armed: autologger Start = 1, wpr -addboot called"
reboot
# 3. Settled, -stopboot, ingest; then DisablePagingExecutive restored and a last reboot.
wait_file "$request" 90
grep -q -- '-stopboot .*iter-1\.etl' "$work/wpr/wpr-calls.log" || fail "wpr -stopboot not called"
[ "$(dpe)" = 0x0 ] || fail "DisablePagingExecutive not restored: $(dpe)"
step "stopped, ingested; reg query: DisablePagingExecutive restored to 0x0"
reboot
for ((i = 0; i < 300; i++)); do s="$(campaign_state)"; [ "$s" = done ] && break; sleep 0.2; done
[ "$s" = done ] || fail "campaign state is $s, expected done"
status="$(wine "$agent_linux" --data-dir "$data" --wpr "$wpr" campaign status --json </dev/null 2>/dev/null | tr -d '\r')"
python3 - "$status" <<'PY' || fail "campaign status"
import json, sys
j = json.loads(sys.argv[1])
s, c = j["summary"], j["campaign"]
assert c["total_iterations"] == 1, c
assert s["ingested"] == 1 and s["store_traces"] == 1 and s["results"] == 1, s
assert c["disable_paging_executive"]["verified"] and c["disable_paging_executive"]["restored"], c
it = j["iterations"][0]
assert it["state"] == "queued" and it["autologger_status"] == 0 and it["trace_sha256"], it
PY
step "campaign done: $(echo "$status" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["summary"])')"

step "sc stop / sc delete"
w sc stop "$svc" >/dev/null; wait_state 1 60
wine sc delete "$svc" </dev/null >/dev/null 2>&1 || fail "sc delete"
if wine sc query "$svc" </dev/null >/dev/null 2>&1; then fail "the service still exists after sc delete"; fi
grep -q 'service stopped (exit code 0)' "$work/data/logs/agent.log" || fail "no clean stop in the log"

step "bootprint-agent service install / start / stop / uninstall"
wine "$agent_linux" --data-dir "$data" --wpr "$wpr" service install --test-power </dev/null >/dev/null 2>&1 \
  || fail "service install"
# Wine's sc has no qc: the SCM's own registry entry shows the configuration.
conf="$(w reg query 'HKLM\System\CurrentControlSet\Services\BootprintAgent')"
echo "$conf" | grep -q 'Start *REG_DWORD *0x2$' || fail "not automatic start: $conf"
echo "$conf" | grep -q 'Type *REG_DWORD *0x10$' || fail "not an own process: $conf"
echo "$conf" | grep -q 'ObjectName *REG_SZ *LocalSystem$' || fail "not LocalSystem: $conf"
echo "$conf" | grep -q 'ImagePath .* --data-dir .* run --test-power$' || fail "binPath: $conf"
wine "$agent_linux" service start </dev/null >/dev/null 2>&1 || fail "service start"
[ "$(state)" = 4 ] || fail "not running after service start"
wine "$agent_linux" service stop </dev/null >/dev/null 2>&1 || fail "service stop"
[ "$(state)" = 1 ] || fail "not stopped after service stop"
wine "$agent_linux" service uninstall </dev/null >/dev/null 2>&1 || fail "service uninstall"
if wine sc query "$svc" </dev/null >/dev/null 2>&1; then fail "the service still exists after uninstall"; fi
if wine "$agent_linux" service stop </dev/null >/dev/null 2>&1; then fail "service stop of a missing service succeeded"; fi
step "a service without wpr.exe stops with an error"
wine sc create "$svc" binpath= "$agent --data-dir $data --wpr $data\\missing\\wpr.exe run --test-power" start= demand \
  </dev/null >/dev/null 2>&1 || fail "sc create (missing wpr)"
wine sc start "$svc" </dev/null >/dev/null 2>&1 || true
wait_state 1 30
grep -q 'the Windows host is not usable: .*wpr.exe does not exist' "$work/data/logs/agent.log" \
  || fail "no error about the missing wpr.exe in the log"
grep -q 'service stopped (exit code 3)' "$work/data/logs/agent.log" || fail "no failing exit code"
wine sc delete "$svc" </dev/null >/dev/null 2>&1 || fail "sc delete (missing wpr)"
step "wpr calls: $(tr '\n' ';' < "$work/wpr/wpr-calls.log")"
echo "service test passed"
