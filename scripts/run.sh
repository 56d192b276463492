#!/usr/bin/env bash
# The main job on an embedded default, from a fresh machine: install, build (release), run.
# Today: write a boot trace profile for four pool tags, then read real traces and print what the
# reader finds (header, buffers, events by kind, a time-ordered excerpt of decoded kernel events).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
cli=build/release/agent/apps/bootprint
out=out/main-job
mkdir -p "$out"

echo; echo "== 1. A WPR boot profile for pool tags Irp, MmSt, Ntfs, Fat* (+ resident set) =="
if "$cli" profile create --help >/dev/null 2>&1; then
  "$cli" profile create --tags Irp,MmSt,Ntfs,Fat* --resident-set -o "$out/boot.wprp"
  "$cli" profile inspect "$out/boot.wprp"
fi

shared=../shared/etl
if [ -d "$shared" ]; then
  echo; echo "== 2. Reading a real kernel trace: $shared/perfview_net.4.5.2.x64.etl (XPRESS-compressed) =="
  "$cli" etl stats "$shared/perfview_net.4.5.2.x64.etl" | head -40
  echo; echo "== 3. Decoded image loads and stacks, in time order =="
  "$cli" etl dump "$shared/perfview_net.4.5.2.x64.etl" --event kernel/0x030a --event kernel/0x1820 --limit 8
fi
echo; echo "Outputs are in $out/"
