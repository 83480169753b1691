"""``python -m bot``: dry run, apply-local, refusal, input errors and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bot_inputs import (
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    install_base,
    make_verdict,
    onnx_bytes,
    write_inputs,
)

from bot.__main__ import main

SEED1 = "fr_regressor_v2_ensemble_v1_seed1"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    """A repository root with the shipped registry, as the current folder; no GitHub variables."""
    (tmp_path / "model/tiny").mkdir(parents=True)
    shutil.copy(SHIPPED_REGISTRY, tmp_path / REGISTRY)
    shutil.copy(SCHEMA, tmp_path / "model/tiny/registry.schema.json")
    install_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in (
        "GITHUB_TOKEN",
        "FLIPBOT_TOKEN",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_ACTIONS",
        "GITHUB_RUN_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def argv(root: Path, *extra: str) -> list[str]:
    return [
        "--verdict-dir",
        str(root / "in/loso"),
        "--artifacts",
        str(root / "in/export"),
        "--registry",
        REGISTRY,
        "--repo",
        "local/flipbot",
        "--base",
        "main",
        *extra,
    ]


def test_dry_run_prints_body_and_registry_diff_and_writes_nothing(workdir, capsys, monkeypatch):
    write_inputs(workdir / "in", make_verdict(seeds=(0, 1), flip=(1,)))
    before = (workdir / REGISTRY).read_bytes()
    assert main(argv(workdir, "--dry-run")) == 0
    out = capsys.readouterr().out
    assert "<!-- flipbot:v1 " in out and "### Gate" in out
    assert f"--- a/{REGISTRY}" in out
    assert [line for line in out.splitlines() if line.startswith(("+ ", "-  ", "+  "))] == [
        f'-      "sha256": "{json.loads(before)["models"][3]["sha256"]}",',
        f'+      "sha256": "{__import__("hashlib").sha256(onnx_bytes(1)).hexdigest()}",',
        '-      "smoke": true',
        '+      "smoke": false',
    ]
    assert (workdir / REGISTRY).read_bytes() == before
    assert not (workdir / f"model/tiny/{SEED1}.json").exists()
    summary = workdir / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(argv(workdir, "--dry-run")) == 0
    assert (
        "**flipbot: dry-run**" in summary.read_text() and "```diff\n--- a/" in summary.read_text()
    )


def test_apply_local_writes_registry_and_files_and_is_idempotent(workdir, capsys, tmp_path):
    write_inputs(workdir / "in", make_verdict(seeds=(0, 1)))
    out_file = tmp_path / "gh_output"
    assert main(argv(workdir, "--apply-local")) == 0
    doc = json.loads((workdir / REGISTRY).read_text())
    row = next(r for r in doc["models"] if r["id"] == SEED1)
    assert row["smoke"] is False
    assert (workdir / f"model/tiny/{SEED1}.onnx").read_bytes() == onnx_bytes(1)
    assert json.loads((workdir / f"model/tiny/{SEED1}.json").read_text())["id"] == SEED1
    capsys.readouterr()
    import os

    os.environ["GITHUB_OUTPUT"] = str(out_file)
    try:
        assert main(argv(workdir, "--apply-local")) == 0
    finally:
        del os.environ["GITHUB_OUTPUT"]
    assert "already holds this flip" in capsys.readouterr().out
    assert "pull-request-operation<<ghadelimiter_" in out_file.read_text()
    assert "\nunchanged\n" in out_file.read_text()


def test_refusal_exits_1_with_summary_and_annotation_unless_told_not_to(
    workdir, capsys, tmp_path, monkeypatch
):
    write_inputs(workdir / "in", make_verdict(refused=True))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(argv(workdir, "--dry-run")) == 1
    out = capsys.readouterr().out
    assert "::error::flipbot refused the flip: the per-seed PLCC spread" in out
    assert "## flipbot refused" in summary.read_text() and "| rule | value |" in summary.read_text()
    assert main(argv(workdir, "--dry-run", "--no-fail-on-refusal")) == 0


def test_pr_mode_without_a_token_is_a_usage_error(workdir, capsys):
    write_inputs(workdir / "in", make_verdict())
    assert main(argv(workdir)) == 2
    assert "FLIPBOT_TOKEN" in capsys.readouterr().err


def test_token_is_masked_under_actions_and_never_printed(workdir, capsys, monkeypatch):
    write_inputs(workdir / "in", make_verdict())
    secret = "ghs_" + "s3cr3t" * 6
    monkeypatch.setenv("FLIPBOT_TOKEN", secret)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    (workdir / "in/export/flip_plan.json").unlink()  # fail fast, before any request
    assert main(argv(workdir, "--api-url", "http://127.0.0.1:9")) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith(f"::add-mask::{secret}\n")
    assert secret not in captured.out.replace(f"::add-mask::{secret}", "") + captured.err


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda root: (root / "in/export/fr_regressor_v2_ensemble_v1_seed0.onnx").write_bytes(
                b"tampered"
            ),
            "differs from the plan",
        ),
        (
            lambda root: (root / "in/export/fr_regressor_v2_ensemble_v1_seed0.json").unlink(),
            "missing",
        ),
        (
            lambda root: (root / "in/loso/PROMOTE.json").write_text(
                (root / "in/loso/PROMOTE.json")
                .read_text()
                .replace('"recipe": {', '"recipe": {"x": 1, ')
            ),
            "field 'recipe'",
        ),
        (
            lambda root: (root / "in/loso/HOLD.json").write_text("{}"),
            "both PROMOTE.json and HOLD.json",
        ),
    ],
    ids=["tampered onnx", "missing sidecar", "verdict changed after export", "two verdicts"],
)
def test_inputs_that_do_not_match_the_plan_are_exit_2(workdir, capsys, mutate, message):
    write_inputs(workdir / "in", make_verdict())
    mutate(workdir)
    assert main(argv(workdir, "--dry-run")) == 2
    assert message in capsys.readouterr().err


def test_plan_for_another_registry_is_refused(workdir, capsys):
    write_inputs(workdir / "in", make_verdict(), registry="models/other.json")
    assert main(argv(workdir, "--dry-run")) == 2
    assert "not the registry the plan was made for" in capsys.readouterr().err


def test_bad_flags_are_exit_2(workdir, capsys):
    write_inputs(workdir / "in", make_verdict())
    args = argv(workdir, "--dry-run")
    args[args.index("--repo") + 1] = "not a repo"
    assert main(args) == 2
    assert "OWNER/NAME" in capsys.readouterr().err


def test_hold_with_no_seed_cleared_needs_no_plan_and_is_a_refusal(workdir, capsys):
    write_inputs(workdir / "in", make_verdict(seeds=(0, 1), flip=()))
    assert not (workdir / "in/export/flip_plan.json").exists()  # export ships nothing then
    assert main(argv(workdir, "--dry-run")) == 1
    assert "::error::flipbot refused the flip: no seed cleared the gate" in capsys.readouterr().out
