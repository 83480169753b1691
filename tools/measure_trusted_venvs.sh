#!/usr/bin/env bash
# The trusted job's venvs as it builds them: a fresh venv from each hash-pinned lock with uv and
# --require-hashes, first with an empty uv cache ("cold"), then twice with the cache that run
# filled ("warm"). Usage: tools/measure_trusted_venvs.sh [LOCK...] (default: train.lock then
# bot.lock). Needs `make venv` first (.cache/uv-bootstrap). Results: docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/flipbot-measure.XXXXXX)
trap 'rm -rf "$work"' EXIT
uv=.cache/uv-bootstrap/bin/uv
# pip's index options, without its constraints (a lock pins every version)
uv_args=$(python3 -m flipbot.venvs uv-args | sed -E 's/--constraint [^ ]+//')
locks=("$@")
[ ${#locks[@]} -gt 0 ] || locks=(requirements/train.lock requirements/bot.lock)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for lock in "${locks[@]}"; do
  rm -rf "$work/cache-uv"
  for temp in cold warm warm; do
    rm -rf "$work/venv"
    t0=$(date +%s.%N)
    UV_CACHE_DIR="$work/cache-uv" $uv venv -q --python python3 "$work/venv"
    # shellcheck disable=SC2086
    UV_CACHE_DIR="$work/cache-uv" $uv pip install -q $uv_args --require-hashes \
      --python "$work/venv/bin/python" -r "$lock"
    printf '%s %s %.1f s\n' "$lock" "$temp" "$(echo "$(date +%s.%N) - $t0" | bc)"
  done
done
