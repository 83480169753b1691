#!/usr/bin/env bash
# Time `pip` against `uv pip` building a venv from the same pins, on a cold and a warm cache.
# Usage: tools/measure_install.sh REQUIREMENTS... (e.g. requirements/train.txt)
# Each run gets a fresh venv; "cold" starts from an empty private cache, "warm" reuses it.
# Prints one line per run: "<tool> <cold|warm> <seconds> s". docs/PERFORMANCE.md holds the results.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/flipbot-measure.XXXXXX)
trap 'rm -rf "$work"' EXIT
reqs=()
for r in "$@"; do reqs+=(-r "$r"); done
python3 -m venv "$work/boot"
"$work/boot/bin/pip" install -q -r requirements/uv.txt
uv_args=$(python3 -m flipbot.venvs uv-args)
now() { date +%s.%N; }
for tool in pip uv; do
  for temp in cold warm; do
    rm -rf "$work/venv"
    t0=$(now)
    if [ "$tool" = pip ]; then
      python3 -m venv "$work/venv"
      PIP_CACHE_DIR="$work/cache-pip" "$work/venv/bin/pip" install -q "${reqs[@]}"
    else
      UV_CACHE_DIR="$work/cache-uv" "$work/boot/bin/uv" venv -q --python python3 "$work/venv"
      # shellcheck disable=SC2086
      UV_CACHE_DIR="$work/cache-uv" "$work/boot/bin/uv" pip install -q $uv_args \
        --python "$work/venv/bin/python" "${reqs[@]}"
    fi
    printf '%s %s %.1f s\n' "$tool" "$temp" "$(echo "$(now) - $t0" | bc)"
  done
done
