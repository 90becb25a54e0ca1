#!/usr/bin/env bash
# Time a newcomer's setup: a fresh `git clone` of this repository into /tmp, then the README's two commands.
#
#   bench/fresh_clone.sh                 # uv's download cache as this machine has it (a second clone, CI here)
#   bench/fresh_clone.sh --cold-cache    # an empty uv cache: every package downloaded from the registry
#
# Writes bench/fresh-clone.md (the figure the README quotes) and leaves the clone's logs in the clone.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SOURCE="$(cd "$HERE/.." && pwd)"
CLONE="$(mktemp -d /tmp/secure-fargate-clone.XXXXXX)"
CACHE_NOTE="uv cache as found on this machine"
if [[ "${1:-}" == "--cold-cache" ]]; then
  export UV_CACHE_DIR="$CLONE.uv-cache"
  CACHE_NOTE="empty uv cache (every package downloaded)"
fi
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
git clone --quiet "$SOURCE" "$CLONE"
cd "$CLONE"
t0=$(date +%s.%N)
make synth > synth.log 2>&1
t1=$(date +%s.%N)
make test > test.log 2>&1
t2=$(date +%s.%N)
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
summary="$(grep -E '[0-9]+ passed' test.log | tail -1 || true)"
total=$(echo "$t2 - $start" | bc)
{
  echo "Fresh clone of $(git -C "$SOURCE" rev-parse --short HEAD) on $(date -u +%Y-%m-%d), $(nproc) cores, $CACHE_NOTE."
  echo
  echo "| step | seconds |"
  echo "| --- | --- |"
  echo "| git clone | $(echo "$t0 - $start" | bc) |"
  echo "| make synth (virtualenv, install, synth, check) | $(echo "$t1 - $t0" | bc) |"
  echo "| make test (ruff, mypy, pytest) | $(echo "$t2 - $t1" | bc) |"
  echo "| **total** | **$total** |"
  echo
  echo "Load average (1/5/15 min) before: $load_before; after: $load_after. pytest: ${summary:-see test.log}."
} | tee "$HERE/fresh-clone.md"
