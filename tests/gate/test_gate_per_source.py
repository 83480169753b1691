"""The per-source table: ensemble scores of the mean of the seeds' held-out predictions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from loso_writer import SOURCES, targets, write_run

from gate.render import render_source_table
from gate.verdict import judge


def shifted(delta: float) -> dict[str, list[float]]:
    return {s: [v + delta for v in targets(s, 12)] for s in SOURCES}


def test_ensemble_scores_the_mean_prediction_not_the_mean_of_scores(tmp_path: Path) -> None:
    # Seeds off by +1 and -1 VMAF point: each has RMSE 1, their mean prediction is exact.
    write_run(tmp_path, {0: 1.0}, y_pred=shifted(+1.0))
    write_run(tmp_path, {1: 1.0}, y_pred=shifted(-1.0))
    v = judge(tmp_path, (0, 1))
    for row in v.per_source:
        assert row.ensemble_plcc == pytest.approx(1.0, abs=1e-12)
        assert row.ensemble_srocc == pytest.approx(1.0, abs=1e-12)
        assert row.ensemble_rmse == pytest.approx(0.0, abs=1e-12)
        # Recomputed from the predictions: 1.0 up to float rounding.
        assert row.plcc_by_seed == pytest.approx({"0": 1.0, "1": 1.0}, abs=1e-12)
        assert row.n_val == 12


def test_ensemble_rmse_is_the_bias_of_the_mean_prediction(tmp_path: Path) -> None:
    write_run(tmp_path, {0: 1.0}, y_pred=shifted(+2.0), device="cuda:0 (runner A)")
    write_run(tmp_path, {1: 1.0}, y_pred=shifted(+4.0), device="cpu (runner B)")
    v = judge(tmp_path, (0, 1))
    assert [r.ensemble_rmse for r in v.per_source] == pytest.approx([3.0, 3.0, 3.0], abs=1e-12)
    assert [r.source for r in v.per_source] == sorted(SOURCES)


def test_ensemble_of_noisy_seeds_matches_an_independent_pearson(tmp_path: Path) -> None:
    write_run(tmp_path, {0: 0.97, 1: 0.98, 2: 0.975})
    v = judge(tmp_path, (0, 1, 2))
    docs = [json.loads((tmp_path / f"loso_seed{s}.json").read_text()) for s in range(3)]
    for i, row in enumerate(v.per_source):
        preds = np.mean([d["folds"][i]["y_pred"] for d in docs], axis=0)
        truth = np.array(docs[0]["folds"][i]["y_true"])
        assert row.ensemble_plcc == pytest.approx(np.corrcoef(truth, preds)[0, 1], abs=1e-12)
        assert row.ensemble_rmse == pytest.approx(np.sqrt(np.mean((truth - preds) ** 2)))
        assert row.plcc_by_seed == {"0": 0.97, "1": 0.98, "2": 0.975}


def test_constant_ensemble_prediction_is_undefined_shown_as_na_and_worst(tmp_path: Path) -> None:
    # Seed 1 mirrors seed 0 around 60: the mean prediction is the constant 60.
    write_run(tmp_path, {0: 1.0}, y_pred=shifted(0.0))
    write_run(tmp_path, {1: -1.0}, y_pred={s: [120.0 - v for v in targets(s, 12)] for s in SOURCES})
    v = judge(tmp_path, (0, 1))
    assert all(r.ensemble_plcc is None and r.ensemble_srocc is None for r in v.per_source)
    assert v.decision == "HOLD"
    md = render_source_table(v)
    assert "| n/a | n/a |" in md and md.count("⚠ worst") == 1
    assert json.loads((v.write(tmp_path)).read_text())["per_source"][0]["ensemble_plcc"] is None
