"""A small real corpus for the Action's end-to-end runs: a slice of the shipped corpus.

The first ``sources`` sources (sorted by name), one encoder, frames thinned evenly to
``rows_per_source`` each: a few hundred real rows, enough for LOSO to train in seconds.

``python -m tests.action.corpus_fixture`` rewrites tests/action/data/corpus_small.jsonl.gz
(the CI self-test runs `uses: ./` on it).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "corpus" / "flipbot_corpus_v1.jsonl.gz"
COMMITTED = Path(__file__).parent / "data" / "corpus_small.jsonl.gz"


def slice_rows(
    rows: list[dict[str, Any]], *, sources: int, rows_per_source: int
) -> list[dict[str, Any]]:
    encoder = sorted({r["encoder"] for r in rows})[0]
    names = sorted({r["src"] for r in rows})[:sources]
    kept: list[dict[str, Any]] = []
    for name in names:
        mine = [r for r in rows if r["src"] == name and r["encoder"] == encoder]
        step = max(1, len(mine) // rows_per_source)
        kept += mine[::step][:rows_per_source]
    return kept


def write_small_corpus(
    dest: Path, *, source: Path = SHIPPED, sources: int = 3, rows_per_source: int = 60
) -> list[str]:
    """Write the slice to ``dest`` (gzip, fixed mtime so the bytes are reproducible)."""
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    kept = slice_rows(rows, sources=sources, rows_per_source=rows_per_source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in kept)
    with open(dest, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as fh:
        fh.write(text.encode("utf-8"))
    return sorted({r["src"] for r in kept})


def corpus_sources(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return sorted({json.loads(line)["src"] for line in fh if line.strip()})


if __name__ == "__main__":
    print(COMMITTED, write_small_corpus(COMMITTED))
