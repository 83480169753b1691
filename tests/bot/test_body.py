"""The PR body: tiers under GitHub's limit, escaping, the hidden block, warnings."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from bot_inputs import make_verdict, unverified_flip, verified_flip, write_inputs

from bot.body.pr_body import BODY_LIMIT, TIERS, BodyContext, build_body, read_hidden, render_summary
from bot.flip.record import Flip


def flip_for(tmp_path: Path, *, verified: bool = True, **kw) -> Flip:
    write_inputs(tmp_path, make_verdict(**kw))
    return verified_flip(tmp_path) if verified else unverified_flip(tmp_path)


def context(
    flip: Flip, run_url: str | None = "https://github.com/o/r/actions/runs/1"
) -> BodyContext:
    return BodyContext(flip, "f" * 40, "model/tiny/registry.json", run_url)


def test_body_holds_provenance_tables_seeds_and_the_hidden_block(tmp_path):
    flip = flip_for(tmp_path, seeds=(0, 1, 2), flip=(0, 2))
    body = build_body(context(flip))
    text = body.text
    assert body.tier == 0
    for needle in (
        "f" * 40,  # base commit
        flip.verdict.pins.corpus_sha256,
        flip.verdict_sha256,
        "https://github.com/o/r/actions/runs/1",
        "| rule | value | threshold | result |",
        "PLCC seed 2",
        "- seed 1 stays `smoke: true`: PLCC 0.94800 is below the per-seed minimum 0.95",
        "**HOLD, partial flip**: flips seeds 0, 2 of `fr_regressor_v2_ensemble_v1`",
        "<details>\n<summary>Verify locally</summary>",
    ):
        assert needle in text, needle
    assert "loosened" not in text
    assert read_hidden(text) == body.hidden
    assert body.hidden["flipped"] == [
        "fr_regressor_v2_ensemble_v1_seed0",
        "fr_regressor_v2_ensemble_v1_seed2",
    ]


def test_overridden_thresholds_get_a_bold_warning(tmp_path):
    text = build_body(context(flip_for(tmp_path, overridden=True))).text
    assert "**⚠ Warning: the gate thresholds were loosened through an explicit override." in text


def test_the_run_link_alone_does_not_change_the_hidden_block(tmp_path):
    flip = flip_for(tmp_path)
    one = build_body(context(flip, "https://github.com/o/r/actions/runs/1"))
    two = build_body(context(flip, "https://github.com/o/r/actions/runs/2"))
    assert one.text != two.text and one.hidden == two.hidden
    moved = build_body(replace(context(flip), base_sha="e" * 40))
    assert moved.hidden != one.hidden


def test_hostile_source_names_are_escaped_and_cannot_close_the_hidden_block(tmp_path):
    evil = "x|y</table><!-- --> *bold* [link](http://e)"
    flip = flip_for(tmp_path, sources=(evil, "ok"))
    text = build_body(context(flip)).text
    assert evil not in text
    assert "x\\|y&lt;/table&gt;&lt;\\!-- --&gt; \\*bold\\* \\[link\\](http://e)" in text
    # The chart's axis range is written "0.94 --> 1.00" (Mermaid syntax), before the block.
    outside_chart = re.sub(r"```mermaid\n.*?```", "", text, flags=re.DOTALL)
    assert outside_chart.count("-->") == 1 and text.rstrip().endswith("-->")
    assert '"x_y_table_--_--_bold_lin"' in text  # the chart's label: safe characters, 24 at most
    assert read_hidden(text) is not None


def test_hidden_block_survives_dashes_and_angle_brackets_in_paths():
    from bot.body.pr_body import _hidden_json

    value = {"files": {"a-->b<c>.onnx": "1"}, "flipped": ["x--y"]}
    text = f"before <!-- flipbot:v1 {_hidden_json(value)} --> after"
    assert "-->" not in _hidden_json(value)
    assert read_hidden(text) == value
    assert read_hidden("no block here") is None
    assert read_hidden("<!-- flipbot:v1 {not json} -->") is None


def test_huge_source_lists_shorten_in_tiers_and_stay_under_the_limit(tmp_path):
    seen = {}
    # Two seeds keep the fixture fast; the counts straddle each tier's limit.
    for n_sources in (10, 700, 750, 1200):
        sub = tmp_path / str(n_sources)
        sources = tuple(f"source_{i:05d}_with_a_long_descriptive_name" for i in range(n_sources))
        flip = flip_for(sub, sources=sources, seeds=(0, 1), verified=False)
        body = build_body(context(flip))
        assert len(body.text) < BODY_LIMIT
        seen[n_sources] = body.tier
        summary = render_summary(context(flip), "created", "https://github.com/o/r/pull/1")
        assert sources[-1] in summary.replace("\\_", "_") and "PLCC seed 1" in summary
    assert seen[10] == 0
    assert sorted(seen.values()) == list(seen.values()) and seen[1200] == len(TIERS) - 1
    assert len(set(seen.values())) >= 3, seen


def test_the_last_tier_points_to_the_job_summary(tmp_path):
    sources = tuple(f"source{i}" for i in range(300))
    flip = flip_for(tmp_path, sources=sources, verified=False)
    full = build_body(context(flip)).text
    short = build_body(context(flip), limit=len(full) - 1)
    assert short.tier > 0 and len(short.text) < len(full)
    last = build_body(context(flip), limit=8000)
    assert last.tier == 3 and "job summary" in last.text and "source299" not in last.text
    assert "300 held-out sources" in last.text


def test_plots_link_is_shown_but_does_not_change_the_hidden_block(tmp_path):
    flip = flip_for(tmp_path)
    url = "https://github.com/o/r/actions/runs/1/artifacts/77"
    with_plots = build_body(replace(context(flip), plots_url=url))
    without = build_body(context(flip))
    assert f"| PNG pictures | [workflow artifact]({url}) (expires) |" in with_plots.text
    assert "PNG pictures" not in without.text and "```mermaid\n---\nconfig:" in without.text
    assert with_plots.hidden == without.hidden


def test_calibration_beside_the_verdict_goes_into_the_body(tmp_path):
    import numpy as np

    from gate.calibration import calibrate

    flip = flip_for(tmp_path)
    y = {s: np.linspace(40.0, 90.0, 30) for s in ("A", "B", "C")}
    preds = {s: np.stack([y[s] + 1.0 + 0.1 * np.arange(30) % 2, y[s] - 0.5]) for s in y}
    calibration = calibrate(y, preds)
    text = build_body(context(replace(flip, calibration=calibration))).text
    assert "<summary>Calibration of the ensemble's intervals (informational)</summary>" in text
    assert "Interval to ship (fitted on every source)" in text
    assert "Calibration" not in build_body(context(flip)).text


def test_a_calibration_pinning_other_loso_files_is_refused(tmp_path):
    import numpy as np
    import pytest

    from flipbot.errors import InputError
    from gate.calibration import calibrate

    flip = flip_for(tmp_path)
    y = {s: np.linspace(40.0, 90.0, 30) for s in ("A", "B")}
    preds = {s: np.stack([y[s] + 1.0, y[s] - 0.5]) for s in y}
    good = calibrate(y, preds, loso_files=flip.verdict.pins.loso_files)
    good.write(tmp_path / "loso")
    assert verified_flip(tmp_path).calibration == good
    calibrate(y, preds, loso_files={"loso_seed0.json": "0" * 64}).write(tmp_path / "loso")
    with pytest.raises(InputError, match="pins other loso files"):
        verified_flip(tmp_path)
