"""The audit of `bot promote` in the PR body's provenance, outside the rerun-identity hash."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot_inputs import make_verdict, verified_flip, write_inputs

from bot.body import BodyContext, build_body
from bot.body.sections import audit_line

AUDIT = {
    "sample": 5,
    "folds_total": 45,
    "tolerance": {"max_abs_diff": 0.05, "plcc_diff": 1e-5},
    "folds": [
        {"seed": 0, "held_out": "bikes", "max_abs_diff": 0.0, "plcc_diff": 0.0},
        {"seed": 3, "held_out": "tree_<b>", "max_abs_diff": 1.2e-4, "plcc_diff": 3e-9},
    ],
    "passed": True,
}


def test_the_audit_line_names_the_folds_the_largest_difference_and_the_tolerance() -> None:
    line = audit_line(AUDIT)
    assert line.startswith("2 of 45 folds re-trained on this side (seed 0 bikes, seed 3 tree")
    assert "largest difference 0.00012 VMAF (tolerance 0.05)" in line
    assert "<b>" not in line  # names are escaped for the body


def test_a_plain_flip_says_it_audited_nothing() -> None:
    assert audit_line(None).startswith("none in this run")


def test_another_audit_sample_keeps_the_hidden_block_so_a_rerun_writes_nothing(
    tmp_path: Path,
) -> None:
    write_inputs(tmp_path, make_verdict())
    body_context = BodyContext(verified_flip(tmp_path), "f" * 40, "model/tiny/registry.json", None)
    first = build_body(replace(body_context, audit=AUDIT))
    other = {**AUDIT, "folds": [{**AUDIT["folds"][0], "held_out": "world"}]}
    second = build_body(replace(body_context, audit=other))
    assert "seed 0 bikes" in first.text and "seed 0 world" in second.text
    assert first.hidden == second.hidden
