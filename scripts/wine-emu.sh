#!/usr/bin/env bash
# CMAKE_CROSSCOMPILING_EMULATOR of the Windows build: runs a Windows exe under Wine in the build's
# throw-away prefix, with the settings that keep tests honest (docs/windows-agent.md):
#  - winedbg disabled: otherwise a crashing test exits 0 (windows-on-linux.md trap 4);
#  - no Mono/Gecko prompts, no desktop-menu writes; stdin from /dev/null.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export WINEPREFIX="${WINEPREFIX:-$here/build/windows/wineprefix}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="mscoree,mshtml,winemenubuilder.exe,winedbg.exe=d"
exec wine "$@" </dev/null
