"""The committed fixtures (fed to `uses: ./` by the CI self-tests) are what their generators make."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from flipbot.loso_file import LosoArtefact

from .corpus_fixture import COMMITTED, SHIPPED, SOURCES, corpus_sources, write_small_corpus
from .loso_fixture import disagreeing_seeds, write_disagreeing_seeds

DATA = Path(__file__).parent / "data" / "refuse"


def _same(a: object, b: object) -> bool:
    """Equal JSON, numbers to 1e-12 relative: scipy's PLCC may differ in the last bit
    between CPUs (SIMD paths), which no reader of these fixtures can notice."""
    if isinstance(a, float) or isinstance(b, float):
        return (
            isinstance(a, int | float)
            and isinstance(b, int | float)
            and (math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15))
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_committed_refusal_fixture_matches_its_generator(tmp_path: Path) -> None:
    written = write_disagreeing_seeds(tmp_path)
    for path in written:
        committed = DATA / path.name
        assert _same(json.loads(committed.read_text()), json.loads(path.read_text())), (
            f"{committed} is stale: python -m tests.action.loso_fixture tests/action/data/refuse"
        )


def test_the_fixture_comparison_sees_a_real_difference() -> None:
    assert _same({"plcc": 0.9839326307498498}, {"plcc": 0.9839326307498497})
    assert not _same({"plcc": 0.98393263}, {"plcc": 0.98393264})
    assert not _same({"seed": 1}, {"seed": 2})


def test_refusal_fixture_seeds_disagree_beyond_the_spread_bound_but_each_clears() -> None:
    plcc = [a.mean_plcc for a in disagreeing_seeds((0, 1))]
    assert all(p is not None and p >= 0.95 for p in plcc)
    assert max(plcc) - min(plcc) > 0.005  # type: ignore[operator]
    assert [LosoArtefact.read(DATA / f"loso_seed{s}.json").seed for s in (0, 1)] == [0, 1]


@pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped corpus is not in the tree")
def test_committed_small_corpus_is_the_slice_of_the_shipped_corpus(tmp_path: Path) -> None:
    fresh = tmp_path / "small.jsonl.gz"
    assert write_small_corpus(fresh) == sorted(SOURCES)
    assert COMMITTED.read_bytes() == fresh.read_bytes(), (
        f"{COMMITTED} is stale: python -m tests.action.corpus_fixture"
    )
    assert corpus_sources(COMMITTED) == sorted(SOURCES)
