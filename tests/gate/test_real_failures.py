"""The gate on real training runs that went wrong in a real way (issue 14).

Every case trains for real on a slice of the shipped corpus (see
``real_runs``: 4 sources, 1,960 rows, 3 seeds), breaks one mechanism, and
runs ``python -m trainer loso`` and ``python -m gate`` through their
``main(argv)``. Each asserts the verdict, the rules that fail and the
diagnosis the gate prints, against the same slice trained healthily.

Measured on this slice (one CPU worker; 2-core machine shared with other
work): healthy at 80 epochs PROMOTE, mean 0.990, spread 0.0014; 40 epochs
still PROMOTE (mean 0.970, spread 0.0039); 20 epochs HOLD, refused on the
spread (0.0094); 5 epochs HOLD on all three rules. The module takes 20-70 s
(about 20 s of it training).

On the full shipped corpus (5 seeds, 9 sources, about 730 steps an epoch)
the gate cannot tell an under-trained run from the recipe's 200 epochs once
it has 4: 1, 2 and 3 epochs are refused on the spread alone (0.0159, 0.0090,
0.0057) with every seed at or above 0.95; 4 epochs PROMOTE (mean 0.98620,
spread 0.00288), 5 (0.99068) and 10 (0.99864) too. Hence the short-run
diagnosis in gate/policy.py: re-seeding would not fix those refusals.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import real_runs as rr

import gate.verdict

pytestmark = pytest.mark.real_failures

WORST = "carphone"  # the source the feature cases break


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("real_failures")


@pytest.fixture(scope="module")
def healthy(work: Path) -> rr.GateRun:
    corpus = rr.write_corpus(work / "healthy.jsonl", rr.slice_rows())
    return rr.gate(rr.train(corpus, work / "healthy", epochs=rr.HEALTHY_EPOCHS))


def run_case(
    work: Path,
    name: str,
    rows: list[rr.Row],
    *,
    epochs: int = rr.HEALTHY_EPOCHS,
    lr_factor: dict[int, float] | None = None,
) -> rr.GateRun:
    corpus = rr.write_corpus(work / f"{name}.jsonl", rows)
    return rr.gate(rr.train(corpus, work / name, epochs=epochs, lr_factor=lr_factor))


def test_the_healthy_slice_promotes_with_a_wide_margin(healthy: rr.GateRun) -> None:
    v = healthy.verdict
    assert healthy.code == 0 and v.decision == "PROMOTE" and not v.refused
    assert healthy.failing_rules() == set()
    assert min(s.plcc for s in v.seeds) > 0.98
    assert next(r for r in v.rules if r.name == "plcc_spread").value < 0.003
    assert v.flip == rr.SEEDS and v.diagnosis is None
    assert v.warnings == ()  # four distinct real clips: no twin flagged
    assert "look identical" not in healthy.console + healthy.summary


def test_too_few_epochs_holds_on_the_per_seed_minimum_and_points_at_epochs(work: Path) -> None:
    run = run_case(work, "underfit", rr.slice_rows(), epochs=5)
    v = run.verdict
    assert run.code == 1 and v.decision == "HOLD"
    assert run.failing_rules() == {"mean_plcc", "plcc_spread", "per_seed_min"}
    assert all(s.plcc < 0.9 and not s.passed and not s.flips for s in v.seeds)
    assert v.flip == () and v.refused  # the seeds of an under-fit run disagree too
    assert v.diagnosis is not None
    assert "under-fit" in v.diagnosis and "raise --epochs" in v.diagnosis
    assert "alone" not in v.diagnosis  # every seed is weak, not one
    assert f"diagnosis: {v.diagnosis}" in run.console
    assert f"**Diagnosis:** {v.diagnosis}" in run.summary


def test_targets_shuffled_within_each_source_hold_with_a_tight_spread_and_blame_the_data(
    work: Path,
) -> None:
    run = run_case(work, "shuffled", rr.shuffle_targets(rr.slice_rows()))
    v = run.verdict
    rules = {r.name: r for r in v.rules}
    assert run.code == 1 and v.decision == "HOLD" and not v.refused
    assert run.failing_rules() == {"mean_plcc", "per_seed_min"}
    assert rules["plcc_spread"].value < 0.005  # the seeds agree...
    assert abs(rules["mean_plcc"].value) < 0.1  # ...that nothing is learnt
    assert v.flip == () and not v.ensemble_flip
    assert v.diagnosis is not None
    assert "tight spread, low mean" in v.diagnosis
    assert "the corpus and the loader" in v.diagnosis and "--epochs" not in v.diagnosis


def swap_adm2_motion2(row: rr.Row) -> None:
    row["adm2"], row["motion2"] = row["motion2"], row["adm2"]


def scale_vif_scale0(row: rr.Row) -> None:
    row["vif_scale0"] *= 1000.0


@pytest.mark.parametrize(
    ("change", "decision", "drop"),
    [
        # The swapped source collapses (PLCC about 0.08): the mean fails, the data is blamed.
        (swap_adm2_motion2, "HOLD", 0.5),
        # The scaled source drops to about 0.94, but the mean over sources still clears:
        # the gate judges the mean, so only the per-source table shows it.
        (scale_vif_scale0, "PROMOTE", 0.03),
    ],
    ids=["adm2-motion2-swapped", "vif_scale0-times-1000"],
)
def test_a_feature_broken_in_one_source_drops_that_source_and_marks_it_worst(
    work: Path, healthy: rr.GateRun, change: Callable[[rr.Row], None], decision: str, drop: float
) -> None:
    rows = rr.corrupt_source(rr.slice_rows(), WORST, change)
    run = run_case(work, f"broken-{WORST}-{change.__name__}", rows)
    before, after = healthy.source_plcc(), run.source_plcc()
    assert None not in before.values() and None not in after.values()
    healthy_plcc, broken_plcc = float(before[WORST] or 0), float(after[WORST] or 0)
    assert broken_plcc < healthy_plcc - drop
    assert broken_plcc == min(float(p or 0) for p in after.values())
    worst_line = next(line for line in run.console.splitlines() if line.strip().startswith(WORST))
    assert worst_line.endswith("<- worst")
    assert sum("<- worst" in line for line in run.console.splitlines()) == 1
    assert f"**{WORST}** ⚠ worst" in run.summary
    assert run.verdict.decision == decision
    if decision == "HOLD":
        assert run.failing_rules() == {"mean_plcc", "per_seed_min"}
        assert run.verdict.diagnosis is not None and "loader" in run.verdict.diagnosis
    else:
        assert run.failing_rules() == set()


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[Any]:
    sys.path.insert(0, str(rr.ROOT / "tests" / "bot"))
    try:
        github = importlib.import_module("standin").GitHubStandin(tmp_path / "github").start()
    finally:
        sys.path.remove(str(rr.ROOT / "tests" / "bot"))
    try:
        yield github
    finally:
        github.stop()
    github.assert_valid()


def test_one_seed_at_100x_the_learning_rate_is_refused_and_the_pr_path_writes_nothing(
    work: Path, tmp_path: Path, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 40 epochs: the healthy slice still PROMOTEs there (spread 0.0039).
    run = run_case(work, "unstable", rr.slice_rows(), epochs=40, lr_factor={2: 100.0})
    v = run.verdict
    rules = {r.name: r for r in v.rules}
    assert run.code == 1 and v.decision == "HOLD" and v.refused
    assert run.failing_rules() == {"plcc_spread"}
    assert rules["plcc_spread"].value > 0.01
    assert v.flip == () and not v.ensemble_flip
    assert all(not s.flips and s.reason.startswith("the spread rule failed") for s in v.seeds)
    assert v.refusal_reason is not None and "no seed flips" in v.refusal_reason
    assert v.recipe["lr"] == 5e-4  # the files claim the recipe: only the numbers tell
    assert v.diagnosis is not None and v.diagnosis.startswith("seed 2 alone breaks the spread")
    assert "refused: " in run.console and "(REFUSED)" in run.console

    from trainer.__main__ import main as trainer_main

    export = tmp_path / "export"
    registry = rr.ROOT / "model" / "tiny" / "registry.json"
    code = trainer_main(
        [
            "export",
            "--corpus", str(work / "unstable.jsonl"),
            "--verdict-dir", str(work / "unstable"),
            "--registry", str(registry),
            "--out-dir", str(export),
        ]
    )  # fmt: skip
    assert code == 1 and not (export.exists() and any(export.iterdir()))

    from bot.__main__ import main as bot_main

    github = standin
    github.seed(
        {
            "model/tiny/registry.json": registry.read_bytes(),
            "model/tiny/registry.schema.json": (
                registry.parent / "registry.schema.json"
            ).read_bytes(),
        }
    )
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FLIPBOT_TOKEN", github.token)
    code = bot_main(
        [
            "--verdict-dir", str(work / "unstable"),
            "--artifacts", str(export),
            "--registry", "model/tiny/registry.json",
            "--repo", github.repo_full_name,
            "--base", "main",
            "--api-url", github.base_url,
        ]
    )  # fmt: skip
    assert code == 1  # a refusal
    assert github.writes() == []
    assert github.branches() == ["main"]


def test_two_sources_that_are_one_clip_warn_without_changing_the_verdict(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_case(work, "twins", rr.with_twin(rr.slice_rows(), "tree", "forest"))
    v = run.verdict
    assert v.decision == "PROMOTE" and run.code == 0  # optimistic, and the gate cannot tell
    assert len(v.warnings) == 1
    warning = v.warnings[0]
    assert warning.startswith("sources 'forest' and 'tree' look identical:")
    assert "held-out PLCC is optimistic" in warning and "verdict does not change" in warning
    assert f"warning: {warning}" in run.console
    assert "sources 'forest' and 'tree' look identical" in run.summary
    assert "- ⚠ " in run.summary

    # Informational only: the same files judged without the check give the same verdict.
    monkeypatch.setattr(gate.verdict, "twin_sources", lambda _run: ())
    os.rename(work / "twins" / "summary.md", work / "twins" / "summary-with-warning.md")
    again = rr.gate(work / "twins")
    assert again.verdict.warnings == ()
    assert replace(again.verdict, warnings=v.warnings) == v
