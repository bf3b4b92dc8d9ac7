#!/usr/bin/env bash
# Install the external tools some tests use: tj3 (TaskJuggler, the scheduling oracle) and
# chromium (HTML report checks).  Best effort: without root or apt, the tests that need
# them are skipped and say why.
set -u
need=()
command -v tj3 >/dev/null 2>&1 || need+=(tj3)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# a CJK font so Chinese report screenshots show characters, not boxes
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need+=(fonts-wqy-microhei)
[ ${#need[@]} -eq 0 ] && { echo "test tools present: tj3, chromium, CJK font"; exit 0; }
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: cannot install ${need[*]} (needs root and apt-get); tests using them will be skipped"
  exit 0
fi
echo "installing test tools: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || echo "note: apt-get install ${need[*]} failed; tests using them will be skipped"
exit 0
