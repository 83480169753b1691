"""Per-module scores of the last `make mutation` run, from mutmut's files under mutants/.

A timeout counts as caught (the mutant made a test run past its limit). Usage:
``python tools/mutation_scores.py`` after ``mutmut run``; prints one line per module.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

CAUGHT = {"killed", "timeout", "caught by type check"}


def scores(root: Path) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        module = str(meta.relative_to(root)).removesuffix(".meta")
        if codes and Path(module).exists():  # not a module moved since an older run
            out[module] = Counter(status_by_exit_code[c] for c in codes.values())
    return out


def main() -> int:
    table = scores(Path("mutants"))
    if not table:
        print("no mutants/ folder: run `make mutation` first", file=sys.stderr)
        return 2
    print(f"{'module':28} {'caught':>6} {'total':>6} {'score':>7}  other")
    for module, count in table.items():
        total = sum(count.values())
        caught = sum(count[s] for s in CAUGHT)
        other = ", ".join(f"{n} {s}" for s, n in sorted(count.items()) if s not in CAUGHT)
        print(f"{module:28} {caught:6} {total:6} {100 * caught / total:6.1f}%  {other}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
