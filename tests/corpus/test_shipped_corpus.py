"""The committed corpus: matches its sha256 pin and the SPEC section 3 format."""

from __future__ import annotations

import gzip
import json
import math
from collections import defaultdict
from pathlib import Path

from corpus.encode import ENCODERS
from corpus.output import sort_key
from corpus.score import FEATURES
from corpus.sources import SOURCES
from flipbot.jsonfile import sha256_file

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "flipbot_corpus_v1.jsonl.gz"
KEYS = ["src", "encoder", "cq", "frame_index", "vmaf", *FEATURES]


def test_shipped_corpus_matches_its_sha256_file() -> None:
    pinned, name = CORPUS.with_name("flipbot_corpus_v1.sha256").read_text().split()
    assert name == CORPUS.name
    assert sha256_file(CORPUS) == pinned


def test_shipped_corpus_has_every_cell_complete_sorted_and_finite() -> None:
    lines = gzip.decompress(CORPUS.read_bytes()).decode("ascii").splitlines()
    assert lines == sorted(lines, key=sort_key)
    frames: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for line in lines:
        row = json.loads(line)
        assert list(row) == KEYS
        values = [row[k] for k in ["vmaf", *FEATURES]]
        assert all(isinstance(v, float) and math.isfinite(v) for v in values), line
        assert 0.0 <= row["vmaf"] <= 100.0
        frames[(row["src"], row["encoder"], row["cq"])].append(row["frame_index"])
    expected_cells = {(s.name, e.name, cq) for s in SOURCES for e in ENCODERS for cq in e.cqs}
    assert set(frames) == expected_cells
    per_source: dict[str, set[int]] = defaultdict(set)
    for (src, _, _), indices in frames.items():
        assert indices == list(range(len(indices)))
        per_source[src].add(len(indices))
    assert all(len(counts) == 1 for counts in per_source.values()), per_source
    assert len(lines) == 23_220
