"""The committed refusal fixture (fed to `uses: ./` by the CI self-test) is what the generator makes."""

from __future__ import annotations

from pathlib import Path

from flipbot.loso_file import LosoArtefact

from .loso_fixture import disagreeing_seeds, write_disagreeing_seeds

DATA = Path(__file__).parent / "data" / "refuse"


def test_committed_refusal_fixture_matches_its_generator(tmp_path: Path) -> None:
    written = write_disagreeing_seeds(tmp_path)
    for path in written:
        committed = DATA / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} is stale: python -m tests.action.loso_fixture tests/action/data/refuse"
        )


def test_refusal_fixture_seeds_disagree_beyond_the_spread_bound_but_each_clears() -> None:
    plcc = [a.mean_plcc for a in disagreeing_seeds((0, 1))]
    assert all(p is not None and p >= 0.95 for p in plcc)
    assert max(plcc) - min(plcc) > 0.005  # type: ignore[operator]
    assert [LosoArtefact.read(DATA / f"loso_seed{s}.json").seed for s in (0, 1)] == [0, 1]
