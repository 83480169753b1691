"""Forged held-out predictions are caught by the audit's re-training; honest ones flip.

The honest files are the real trainer's output; a forgery keeps every tie (sources, rows,
y_true) and changes only y_pred, which is what the corpus tie cannot see.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from harness import snapshot
from promote_repo import REGISTRY, SEEDS, edit_loso, promote

from flipbot.jsonfile import sha256_bytes


def _better(fold: dict) -> None:
    """Predictions pulled halfway to the truth: a higher PLCC than the recipe gives."""
    fold["y_pred"] = [
        round((p + t) / 2, 6) for p, t in zip(fold["y_pred"], fold["y_true"], strict=True)
    ]


def test_honest_files_flip_with_models_exported_on_this_side(
    promote_case: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    repo, loso = promote_case
    assert promote(loso) == 0
    registry = json.loads((repo / REGISTRY).read_text())
    rows = {r["id"]: r for r in registry["models"]}
    for seed in SEEDS:
        row = rows[f"fr_regressor_v2_ensemble_v1_seed{seed}"]
        assert row["smoke"] is False
        onnx = (repo / "model/tiny" / row["onnx"]).read_bytes()
        assert row["sha256"] == sha256_bytes(onnx)
    audited = [r.getMessage() for r in caplog.records if r.getMessage().startswith("audit: seed")]
    assert [m.split(",")[0] for m in audited] == ["audit: seed 0", "audit: seed 1"]  # one each
    assert not list(loso.glob("PROMOTE.json"))  # the loso folder is only read


def test_a_forged_fold_is_refused_when_every_fold_is_audited(
    promote_case: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, loso = promote_case
    edit_loso(loso, 1, lambda doc: _better(doc["folds"][2]))
    before = snapshot(repo)
    assert promote(loso, "--audit-sample", "all") == 2
    err = capsys.readouterr().err
    assert f"{loso / 'loso_seed1.json'}: fold 'carphone' (seed 1)" in err
    assert "differ from the audit's re-training" in err
    assert snapshot(repo) == before


def test_a_seed_forged_throughout_is_caught_by_the_default_sample(
    promote_case: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """One fold per seed is always drawn, so a fabricated seed file cannot escape."""
    repo, loso = promote_case

    def forge(doc: dict) -> None:
        for fold in doc["folds"]:
            _better(fold)

    edit_loso(loso, 0, forge)
    before = snapshot(repo)
    assert promote(loso) == 2
    assert f"{loso / 'loso_seed0.json'}: fold " in capsys.readouterr().err
    assert snapshot(repo) == before


def test_one_seed_copied_as_another_is_caught_by_the_default_sample(
    promote_case: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Seed 0's predictions handed over as seed 1's: every tie holds, the re-training differs."""
    repo, loso = promote_case
    doc = json.loads((loso / "loso_seed0.json").read_text())
    doc["seed"] = 1
    (loso / "loso_seed1.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    before = snapshot(repo)
    assert promote(loso) == 2
    assert f"{loso / 'loso_seed1.json'}: fold " in capsys.readouterr().err
    assert snapshot(repo) == before
