"""One seed judged alone (``--seeds 3``: seeds spread over runners), and PLCC_i to the last digit."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from loso_writer import SOURCES, write_run

from flipbot.verdict_file import Verdict
from gate.__main__ import main
from gate.loso_set import load_loso_set
from gate.per_source import seed_plcc, source_rows


def test_a_single_seed_is_judged_on_its_own_numbers(tmp_path: Path) -> None:
    write_run(tmp_path, {3: [0.97, 0.98, 0.995]})
    assert main([str(tmp_path), "--seeds", "3"]) == 0
    v = Verdict.read(tmp_path / "PROMOTE.json")
    by = {r.name: r for r in v.rules}
    assert by["mean_plcc"].value == by["per_seed_min"].value == math.fsum([0.97, 0.98, 0.995]) / 3
    assert by["plcc_spread"].value == 0.0
    assert v.flip == (3,) and v.ensemble_flip is True
    doc = json.loads((tmp_path / "loso_seed3.json").read_text())
    for row, fold, rho in zip(v.per_source, doc["folds"], [0.97, 0.98, 0.995], strict=True):
        assert row.source == fold["held_out"] and row.n_val == fold["n_val"] == 12
        assert row.plcc_by_seed == {"3": rho}
        # The ensemble of one seed is that seed: its prediction, its scores.
        assert row.ensemble_plcc == pytest.approx(rho, abs=1e-9)
        truth, pred = np.array(fold["y_true"]), np.array(fold["y_pred"])
        assert row.ensemble_rmse == pytest.approx(float(np.sqrt(np.mean((truth - pred) ** 2))))


def test_seed_plcc_is_the_mean_over_sources_of_each_seeds_own_folds(tmp_path: Path) -> None:
    write_run(tmp_path, {0: [0.9, 0.96, 0.99], 4: [0.99, 0.99, 0.93]})
    run = load_loso_set(tmp_path, (0, 4))
    assert seed_plcc(run) == {
        0: math.fsum([0.9, 0.96, 0.99]) / 3,
        4: math.fsum([0.99, 0.99, 0.93]) / 3,
    }
    rows = source_rows(run)
    assert [r.source for r in rows] == sorted(SOURCES)
    assert [r.plcc_by_seed for r in rows] == [
        {"0": 0.9, "4": 0.99},
        {"0": 0.96, "4": 0.99},
        {"0": 0.99, "4": 0.93},
    ]
