"""Twin sources: the leakage warning on the shipped corpus's real targets and at its edges."""

from __future__ import annotations

import functools
import gzip
import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
from loso_writer import make_artefact

from flipbot.errors import InputError
from flipbot.loso_file import LosoFold
from flipbot.metrics import score
from flipbot.verdict_file import Verdict
from gate.console import format_console, workflow_annotations
from gate.leakage import MIN_FRAMES, SHARED_SHARE, twin_sources
from gate.loso_set import load_loso_set
from gate.render import render_summary
from gate.verdict import judge

SHIPPED = Path(__file__).resolve().parents[2] / "corpus" / "flipbot_corpus_v1.jsonl.gz"


def shipped_targets() -> dict[str, list[float]]:
    return {k: list(v) for k, v in _shipped_targets().items()}


@functools.cache
def _shipped_targets() -> dict[str, tuple[float, ...]]:
    out: dict[str, list[float]] = {}
    with gzip.open(SHIPPED, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            out.setdefault(row["src"], []).append(round(row["vmaf"], 6))
    return {k: tuple(v) for k, v in out.items()}


def write_targets(folder: Path, targets: Mapping[str, Sequence[float]]) -> Path:
    """Two seeds' loso files whose folds hold ``targets`` (predictions: targets plus noise)."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(targets)
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        folds = []
        for source in sources:
            y = np.asarray(targets[source], dtype=np.float64)
            p = np.round(y + rng.normal(0.0, 2.0, y.size), 6)
            s = score(y, p)
            folds.append(
                LosoFold(
                    held_out=source,
                    n_train=sum(len(targets[o]) for o in sources if o != source),
                    n_val=int(y.size),
                    plcc=s.plcc,
                    srocc=s.srocc,
                    rmse=s.rmse,
                    undefined_reason=s.undefined_reason,
                    y_true=tuple(y.tolist()),
                    y_pred=tuple(p.tolist()),
                )
            )
        make_artefact(
            seed,
            1.0,
            sources=sources,
            folds=tuple(folds),
            corpus_rows=sum(len(v) for v in targets.values()),
        ).write(folder)
    return folder


def distinct(n: int, start: float) -> list[float]:
    return [round(start + 0.37 * i, 6) for i in range(n)]


def test_the_nine_shipped_sources_are_told_apart(tmp_path: Path) -> None:
    targets = shipped_targets()
    assert len(targets) == 9
    # alea and bikes share 562 frames at exactly 100.0: the ceiling is not evidence.
    assert sum(v == 100.0 for v in targets["bikes"]) == 562
    v = judge(write_targets(tmp_path, targets), (0, 1))
    assert v.warnings == ()


def test_a_shipped_source_copied_under_a_second_name_is_flagged_exactly_once(
    tmp_path: Path,
) -> None:
    targets = shipped_targets()
    copy = list(targets["bikes"])
    random.Random(0).shuffle(copy)  # another frame order: still the same clip
    targets["bikes-copy"] = copy
    v = judge(write_targets(tmp_path, targets), (0, 1))
    assert v.warnings == (
        "sources 'bikes' and 'bikes-copy' look identical: 2438 of 2438 frames have the same VMAF "
        "target in both (100%); if they are one clip under two names, each one's held-out PLCC is "
        "optimistic (its model trained on the twin): drop or merge one in the corpus "
        "(informational, the verdict does not change)",
    )
    assert (
        v.decision == judge(write_targets(tmp_path / "alone", shipped_targets()), (0, 1)).decision
    )


@pytest.mark.parametrize(("shared", "flagged"), [(10, True), (9, False)])
def test_half_of_the_smaller_sources_frames_is_the_line(
    tmp_path: Path, shared: int, flagged: bool
) -> None:
    assert SHARED_SHARE == 0.5
    a = distinct(20, 30.0)
    b = a[:shared] + distinct(30 - shared, 70.05)
    found = twin_sources(
        load_loso_set(write_targets(tmp_path, {"a": a, "b": b, "c": distinct(20, 5.1)}), (0, 1))
    )
    assert [(t.first, t.second, t.shared, t.frames) for t in found] == (
        [("a", "b", shared, 20)] if flagged else []
    )


@pytest.mark.parametrize(("n", "flagged"), [(MIN_FRAMES, True), (MIN_FRAMES - 1, False)])
def test_too_few_comparable_frames_prove_nothing(tmp_path: Path, n: int, flagged: bool) -> None:
    assert MIN_FRAMES == 10
    same = distinct(n, 40.0)
    # Frames at VMAF's ends do not count: 100.0 and 0.0 pad both sources.
    a, b = same + [100.0] * 20 + [0.0] * 5, same + [100.0] * 30
    run = load_loso_set(write_targets(tmp_path, {"a": a, "b": b, "c": distinct(40, 1.3)}), (0, 1))
    assert [(t.first, t.second, t.shared, t.frames) for t in twin_sources(run)] == (
        [("a", "b", n, n)] if flagged else []
    )


def test_sources_that_only_share_the_ceiling_and_the_floor_are_not_twins(tmp_path: Path) -> None:
    a = [100.0] * 30 + [0.0] * 10 + distinct(15, 20.0)
    b = [100.0] * 30 + [0.0] * 10 + distinct(15, 60.01)
    run = load_loso_set(write_targets(tmp_path, {"a": a, "b": b}), (0, 1))
    assert twin_sources(run) == ()


def test_the_warning_is_shown_everywhere_and_stored_in_the_verdict(tmp_path: Path) -> None:
    t = distinct(20, 30.0)
    folder = write_targets(tmp_path, {"x|y": t, "z": list(reversed(t)), "w": distinct(20, 1.1)})
    v = judge(folder, (0, 1))
    assert len(v.warnings) == 1 and v.warnings[0].startswith("sources 'x|y' and 'z' look identical")
    assert f"warning: {v.warnings[0]}" in format_console(v)
    assert "- ⚠ sources 'x\\|y' and 'z' look identical" in render_summary(v)
    escaped = v.warnings[0].replace("%", "%25")  # workflow-command data escaping
    assert f"::warning title=flipbot gate::{escaped}" in workflow_annotations(v)
    path = v.write(tmp_path / "out")
    assert json.loads(path.read_text())["warnings"] == list(v.warnings)
    assert Verdict.read(path) == v


@pytest.mark.parametrize("bad", ["one string", [1, 2], {"a": "b"}])
def test_a_verdict_with_malformed_warnings_is_an_input_error(tmp_path: Path, bad: object) -> None:
    v = judge(write_targets(tmp_path, {"a": distinct(12, 3.0), "b": distinct(12, 50.5)}), (0, 1))
    path = v.write(tmp_path / "out")
    doc = json.loads(path.read_text())
    assert doc["warnings"] == []
    doc["warnings"] = bad
    with pytest.raises(InputError, match=r"field 'warnings'(\[0\])? must be a"):
        Verdict.from_json(doc, str(path))
    del doc["warnings"]  # verdicts written before the field existed
    assert Verdict.from_json(doc, str(path)).warnings == ()
