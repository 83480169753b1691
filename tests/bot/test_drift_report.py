"""Export's drift.json in the PR body (compact) and the job summary (full), pinned by the plan."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from bot_inputs import make_verdict, verified_flip, write_inputs

from bot.body.pr_body import BodyContext, build_body, render_summary
from bot.flip.drift import load_drift, render_drift
from flipbot.errors import InputError
from flipbot.jsonfile import dumps, sha256_file
from flipbot.plan_file import FlipPlan


def stats(n: int, delta: float, over_jnd: float = 0.0) -> dict:
    return {
        "n": n,
        "mean_delta": delta,
        "mean_abs": abs(delta),
        "p95_abs": abs(delta) * 2,
        "max_abs": abs(delta) * 3,
        "share_over_1": 0.25,
        "share_over_jnd": over_jnd,
    }


def breakdown(delta: float) -> dict:
    return {
        "overall": stats(30, delta, 0.1),
        "by_source": {"bunny": stats(10, delta), "ci|ty": stats(20, delta)},
        "by_encoder": {"libx264": stats(15, delta), "libx265": stats(15, -delta)},
    }


def drift_doc() -> dict:
    seeds = [
        {
            "id": "fr_regressor_v2_ensemble_v1_seed0",
            "seed": 0,
            "label": "replaces a production model",
            "old_loso_plcc": 0.9512,
            "new_loso_plcc": 0.9871,
            "reason": None,
            "drift": breakdown(1.5),
        },
        {
            "id": "fr_regressor_v2_ensemble_v1_seed1",
            "seed": 1,
            "label": "replaces a placeholder",
            "old_loso_plcc": None,
            "new_loso_plcc": 0.98,
            "reason": "no current file x.onnx in the working tree",
            "drift": None,
        },
    ]
    return {
        "kind": "flipbot.drift",
        "schema_version": 1,
        "rows": 30,
        "seeds": seeds,
        "ensemble_seeds": [0],
        "ensemble": breakdown(-2.25),
        "notes": ["seeds [1] have no comparable current file"],
    }


def with_drift(tmp_path: Path, doc: dict) -> Path:
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), flip=(0, 1)))
    export = tmp_path / "export"
    (export / "drift.json").write_text(dumps(doc))
    plan = FlipPlan.read(export / "flip_plan.json")
    replace(plan, drift_sha256=sha256_file(export / "drift.json")).write(export)
    return export


def test_compact_table_holds_the_ensemble_per_source_and_encoders_in_details() -> None:
    text = render_drift(drift_doc(), full=False)
    assert "| bunny | 10 | -2.25 | 2.25 | 4.50 | 6.75 | 25.0% | 0.0% |" in text
    assert "| ci\\|ty | 20 |" in text  # a pipe in a source name cannot break the table
    assert "| all frames | 30 | -2.25 | 2.25 | 4.50 | 6.75 | 25.0% | 10.0% |" in text
    details = text.index("<details><summary>Ensemble mean per encoder</summary>")
    assert text.index("| libx265 | 15 | +2.25 |") > details
    assert (
        "- seed 0 (replaces a production model): mean Δ +1.50, mean |Δ| 1.50, max |Δ| 4.50; LOSO PLCC 0.9512 → 0.9871"
        in text
    )
    assert "- seed 1 (replaces a placeholder): not compared: no current file x.onnx" in text
    assert "Seed 0 (replaces a production model), per source" not in text


def test_full_table_adds_every_compared_seed() -> None:
    text = render_drift(drift_doc(), full=True)
    assert "Seed 0 (replaces a production model), per source and per encoder:" in text
    assert "| bunny | 10 | +1.50 | 1.50 |" in text
    assert "Seed 1 (" not in text  # not compared: only its line


def test_body_shows_the_compact_drift_and_the_summary_the_full_one(tmp_path: Path) -> None:
    with_drift(tmp_path, drift_doc())
    flip = verified_flip(tmp_path)
    assert flip.drift is not None and flip.drift.doc == drift_doc()
    ctx = BodyContext(flip, "f" * 40, "model/tiny/registry.json", None)
    body = build_body(ctx).text
    assert "<summary>Score drift: new models vs the current files (informational)</summary>" in body
    assert "- seed 0 (replaces a production model): mean Δ +1.50" in body
    assert "Seed 0 (replaces a production model), per source" not in body
    assert "Seed 0 (replaces a production model), per source" in render_summary(
        ctx, "created", None
    )


def test_drift_json_changed_after_export_is_refused(tmp_path: Path) -> None:
    export = with_drift(tmp_path, drift_doc())
    (export / "drift.json").write_text(json.dumps(drift_doc() | {"rows": 31}))
    with pytest.raises(InputError, match="drift.json: sha256 differs from the flip plan"):
        verified_flip(tmp_path)


def test_a_plan_without_a_drift_pin_has_no_drift_section(tmp_path: Path) -> None:
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), flip=(0, 1)))
    plan = FlipPlan.read(tmp_path / "export" / "flip_plan.json")
    assert load_drift(tmp_path / "export", plan) is None
    flip = verified_flip(tmp_path)
    body = build_body(BodyContext(flip, "f" * 40, "model/tiny/registry.json", None)).text
    assert "Score drift" not in body
