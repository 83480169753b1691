"""Every bad number, type or shape in a stage file is exit 2 naming the file and the field, never 3.

Through the real commands: ``python -m gate`` on tampered loso files and
``python -m bot --dry-run`` on a tampered verdict or flip plan (re-pinned
where needed, so the field itself is what gets refused, not a stale pin).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parents[1]
for _sub in ("gate", "bot"):
    if str(TESTS / _sub) not in sys.path:
        sys.path.insert(0, str(TESTS / _sub))

from bot_inputs import (  # noqa: E402
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    install_base,
    make_verdict,
    write_inputs,
)
from loso_writer import edit_file, write_run  # noqa: E402

from bot.__main__ import main as bot_main  # noqa: E402
from flipbot.jsonfile import sha256_file  # noqa: E402
from gate.__main__ import main as gate_main  # noqa: E402

Edit = Callable[[dict[str, Any]], Any]


def fold0(**changes: Any) -> Edit:
    return lambda d: d["folds"][0].update(changes)


def y_true0(value: Any) -> Edit:
    return lambda d: d["folds"][0]["y_true"].__setitem__(0, value)


LOSO_CASES: list[tuple[str, Edit, str]] = [
    ("huge-int-y_true", y_true0(10**400), "folds[0]: field 'y_true'[0] is a 401-digit integer"),
    ("huge-y_pred", lambda d: d["folds"][0]["y_pred"].__setitem__(5, 1e300), "field 'y_pred'[5]"),
    ("string-y_true", y_true0("71.5"), "field 'y_true'[0] must be a number, got a string"),
    ("string-plcc", fold0(plcc="0.99"), "field 'plcc' must be a number, got a string"),
    ("plcc-above-1", fold0(plcc=1.5), "field 'plcc' must be a finite number in [-1, 1]"),
    ("srocc-below-minus-1", fold0(srocc=-2.0), "field 'srocc' must be a finite number in [-1, 1]"),
    ("negative-rmse", fold0(rmse=-1.0), "field 'rmse' must be a finite number in [0, 2e+06]"),
    ("bool-n_val", fold0(n_val=True), "field 'n_val' must be an integer, got a boolean"),
    ("huge-n_train", fold0(n_train=2**70), "field 'n_train' must be an integer in [0, 1000000000]"),
    ("float-n_train", fold0(n_train=36.0), "field 'n_train' must be an integer, got a number"),
    ("string-seed", lambda d: d.update(seed="0"), "field 'seed' must be an integer, got a string"),
    ("huge-epochs", lambda d: d.update(epochs=10**30), "field 'epochs' must be an integer in [1,"),
    ("huge-lr", lambda d: d.update(lr=10**400), "field 'lr' is a 401-digit integer"),
    ("note-not-text", lambda d: d.update(note=5), "field 'note' must be a string, got an integer"),
    ("reason-list", fold0(undefined_reason=[1]), "field 'undefined_reason' must be a string"),
    ("folds-object", lambda d: d.update(folds={}), "field 'folds' must be a list, got an object"),
    ("fold-list", lambda d: d["folds"].__setitem__(0, []), "folds[0]: expected a JSON object"),
    ("fold-extra-key", fold0(weights=[1]), "folds[0]: field 'weights' is not one this file has"),
    ("fold-missing-key", lambda d: d["folds"][0].pop("y_pred"), "field 'y_pred' is missing"),
    ("extra-top-key", lambda d: d.update(extra=1), "field 'extra' is not one this file has"),
    ("sources-ints", lambda d: d.update(sources=[1, 2, 3]), "field 'sources'[0] must be a string"),
    ("versions-number", lambda d: d["versions"].update(torch=2), "field 'versions': 'torch'"),
    ("bad-corpus-sha", lambda d: d.update(corpus_sha256="xyz"), "field 'corpus_sha256' must be"),
    ("huge-text", lambda d: d.update(device="x" * 20_000), "field 'device' is 20000 characters"),
    (
        "aggregate-string",
        lambda d: d.update(mean_plcc="high"),
        "field 'mean_plcc' must be a number",
    ),
    ("kind", lambda d: d.update(kind="flipbot.other"), "field 'kind' must be 'flipbot.loso'"),
]


@pytest.mark.parametrize(
    ("edit", "needle"), [c[1:] for c in LOSO_CASES], ids=[c[0] for c in LOSO_CASES]
)
def test_a_bad_loso_field_is_exit_2_naming_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Edit, needle: str
) -> None:
    write_run(tmp_path, {0: 0.97, 1: 0.971})
    edit_file(tmp_path, 1, edit)
    code = gate_main([str(tmp_path), "--seeds", "0,1"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith(f"gate: error: {tmp_path / 'loso_seed1.json'}: ") and needle in err, err
    assert len(err) < 600  # a huge value is described, never echoed
    assert not (tmp_path / "PROMOTE.json").exists() and not (tmp_path / "HOLD.json").exists()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "model/tiny").mkdir(parents=True)
    shutil.copy(SHIPPED_REGISTRY, tmp_path / REGISTRY)
    shutil.copy(SCHEMA, tmp_path / "model/tiny/registry.schema.json")
    install_base(tmp_path)  # the corpus the verdict pins, inside the working tree
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_TOKEN", "FLIPBOT_TOKEN", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def run_bot(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = bot_main(
        [
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
            "--dry-run",
        ]
    )
    return code, capsys.readouterr().err


def tamper_verdict(root: Path, edit: Edit, name: str = "PROMOTE.json") -> Path:
    """Edit the verdict, then re-pin the plan to its new bytes (as a consistent attacker would)."""
    verdict = root / "in/loso" / name
    doc = json.loads(verdict.read_text())
    edit(doc)
    verdict.write_text(json.dumps(doc, indent=2))
    plan_path = root / "in/export/flip_plan.json"
    plan = json.loads(plan_path.read_text())
    plan.update(verdict_sha256=sha256_file(verdict), verdict_file=name)
    plan_path.write_text(json.dumps(plan, indent=2))
    return verdict


def rules0(**changes: Any) -> Edit:
    return lambda d: d["rules"][0].update(changes)


VERDICT_CASES: list[tuple[str, Edit, str]] = [
    (
        "string-seeds",
        lambda d: d.update(flip=["0", 1]),
        "field 'flip'[0] (a seed) must be an integer, got a string",
    ),
    (
        "float-seed",
        lambda d: d.update(flip=[0, 1.0]),
        "field 'flip'[1] (a seed) must be an integer",
    ),
    (
        "bool-seed",
        lambda d: d.update(flip=[True]),
        "field 'flip'[0] (a seed) must be an integer, got a boolean",
    ),
    ("seed-twice", lambda d: d.update(flip=[0, 0]), "field 'flip' names a seed twice"),
    (
        "never-judged-seed",
        lambda d: d.update(flip=[0, 1, 4]),
        "field 'flip' names seed 4, which the verdict never judged",
    ),
    (
        "maybe",
        lambda d: d.update(decision="MAYBE"),
        "field 'decision' must be 'HOLD' or 'PROMOTE', got 'MAYBE'",
    ),
    (
        "refused-promote",
        lambda d: d.update(refused=True),
        "field 'decision' is PROMOTE but field 'refused' is true",
    ),
    (
        "string-rule-value",
        rules0(value="0.99"),
        "rules[0]: field 'value' must be a number, got a string",
    ),
    (
        "huge-rule-value",
        rules0(value=1e300),
        "rules[0]: field 'value' must be a finite number in [-2, 2]",
    ),
    ("bad-op", rules0(op="=="), "rules[0]: field 'op' must be '<=' or '>='"),
    ("rule-extra", rules0(weight=1), "rules[0]: field 'weight' is not one this file has"),
    ("rules-object", lambda d: d.update(rules={}), "field 'rules' must be a list, got an object"),
    (
        "seed-plcc-string",
        lambda d: d["seeds"][1].update(plcc="0.99"),
        "seeds[1]: field 'plcc' must be a number",
    ),
    (
        "seed-string",
        lambda d: d["seeds"][0].update(seed="0"),
        "seeds[0]: field 'seed' must be an integer",
    ),
    (
        "seed-missing-reason",
        lambda d: d["seeds"][0].pop("reason"),
        "seeds[0]: field 'reason' is missing",
    ),
    (
        "source-row-list",
        lambda d: d["per_source"].__setitem__(0, [1]),
        "per_source[0]: expected a JSON object, got a list",
    ),
    (
        "plcc-by-seed-key",
        lambda d: d["per_source"][0]["plcc_by_seed"].update(x=0.9),
        "per_source[0]: field 'plcc_by_seed' has key 'x'",
    ),
    (
        "plcc-by-seed-value",
        lambda d: d["per_source"][0]["plcc_by_seed"].update({"0": 2.0}),
        "field 'plcc_by_seed': '0' must be a finite number in [-1, 1]",
    ),
    (
        "ensemble-rmse",
        lambda d: d["per_source"][0].update(ensemble_rmse=-3),
        "per_source[0]: field 'ensemble_rmse'",
    ),
    (
        "thresholds-string",
        lambda d: d["thresholds"].update(mean_plcc="x"),
        "field 'thresholds': 'mean_plcc' must be a number",
    ),
    ("pins-list", lambda d: d.update(pins=[]), "field 'pins' must be an object, got a list"),
    (
        "pins-extra",
        lambda d: d["pins"].update(extra="x"),
        "pins: field 'extra' is not one this file has",
    ),
    (
        "pins-path",
        lambda d: d["pins"]["loso_files"].update({"../x": "0" * 64}),
        "pins: field 'loso_files' names '../x'",
    ),
    (
        "pins-sha",
        lambda d: d["pins"].update(corpus_sha256="C" * 64),
        "pins: field 'corpus_sha256' must be a sha256",
    ),
    (
        "pins-commit",
        lambda d: d["pins"].update(git_commit="main`"),
        "pins: field 'git_commit' is 'main`', not a commit sha",
    ),
    (
        "reason-number",
        lambda d: d.update(refusal_reason=5),
        "field 'refusal_reason' must be a string, got an integer",
    ),
    ("sources-ints", lambda d: d.update(sources=[1, 2]), "field 'sources'[0] must be a string"),
    ("missing-field", lambda d: d.pop("ensemble_flip"), "field 'ensemble_flip' is missing"),
]


@pytest.mark.parametrize(
    ("edit", "needle"), [c[1:] for c in VERDICT_CASES], ids=[c[0] for c in VERDICT_CASES]
)
def test_a_bad_verdict_field_is_exit_2_naming_file_and_field(
    workdir: Path, capsys: pytest.CaptureFixture[str], edit: Edit, needle: str
) -> None:
    write_inputs(workdir / "in", make_verdict(seeds=(0, 1)))
    verdict = tamper_verdict(workdir, edit)
    before = (workdir / REGISTRY).read_bytes()
    code, err = run_bot(workdir, capsys)
    assert code == 2, err
    assert err.startswith(f"bot: error: {verdict}: ") and needle in err, err
    assert (workdir / REGISTRY).read_bytes() == before


def test_a_hold_edited_to_promote_is_refused_by_its_file_name(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_inputs(workdir / "in", make_verdict(seeds=(0, 1), flip=(1,)))  # HOLD: seed 0 stays
    verdict = tamper_verdict(workdir, lambda d: d.update(decision="PROMOTE"), name="HOLD.json")
    code, err = run_bot(workdir, capsys)
    assert code == 2
    assert f"{verdict}: field 'decision' is PROMOTE but the file is named HOLD.json" in err


def test_a_promote_renamed_to_hold_is_refused_by_its_file_name(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_inputs(workdir / "in", make_verdict(seeds=(0, 1)))
    (workdir / "in/loso/PROMOTE.json").rename(workdir / "in/loso/HOLD.json")
    verdict = tamper_verdict(workdir, lambda d: None, name="HOLD.json")
    code, err = run_bot(workdir, capsys)
    assert code == 2
    assert f"{verdict}: field 'decision' is PROMOTE but the file is named HOLD.json" in err


def row0(**changes: Any) -> Edit:
    return lambda d: d["rows"][0].update(changes)


PLAN_CASES: list[tuple[str, Edit, str]] = [
    ("string-row-seed", row0(seed="0"), "rows[0]: field 'seed' must be an integer, got a string"),
    ("bool-row-seed", row0(seed=False), "rows[0]: field 'seed' must be an integer, got a boolean"),
    (
        "huge-row-seed",
        row0(seed=10**20),
        "rows[0]: field 'seed' must be an integer in [0, 1000000000]",
    ),
    ("row-sha-number", row0(sha256=5), "rows[0]: field 'sha256' must be a sha256"),
    (
        "row-smoke-string",
        row0(smoke="false"),
        "rows[0]: field 'smoke' must be a boolean, got a string",
    ),
    ("row-extra", row0(path="Makefile"), "rows[0]: field 'path' is not one this file has"),
    ("row-missing", lambda d: d["rows"][0].pop("id"), "rows[0]: field 'id' is missing"),
    ("rows-object", lambda d: d.update(rows={}), "field 'rows' must be a list, got an object"),
    (
        "file-string",
        lambda d: d["files"].__setitem__(0, "x"),
        "files[0]: expected a JSON object, got a string",
    ),
    (
        "file-path-number",
        lambda d: d["files"][0].update(path=5),
        "files[0]: field 'path' must be a string",
    ),
    (
        "file-extra",
        lambda d: d["files"][0].update(mode="755"),
        "files[0]: field 'mode' is not one this file has",
    ),
    (
        "verdict-file",
        lambda d: d.update(verdict_file="../PROMOTE.json"),
        "field 'verdict_file' must be 'HOLD.json' or 'PROMOTE.json'",
    ),
    ("pins-list", lambda d: d.update(pins=[]), "field 'pins' must be an object, got a list"),
    ("pins-type", lambda d: d["pins"].update(corpus=7), "pins: field 'corpus' must be a string"),
    (
        "extra-top",
        lambda d: d.update(registry_edit={}),
        "field 'registry_edit' is not one this file has",
    ),
]


@pytest.mark.parametrize(
    ("edit", "needle"), [c[1:] for c in PLAN_CASES], ids=[c[0] for c in PLAN_CASES]
)
def test_a_bad_flip_plan_field_is_exit_2_naming_file_and_field(
    workdir: Path, capsys: pytest.CaptureFixture[str], edit: Edit, needle: str
) -> None:
    write_inputs(workdir / "in", make_verdict(seeds=(0, 1)))
    plan = workdir / "in/export/flip_plan.json"
    doc = json.loads(plan.read_text())
    edit(doc)
    plan.write_text(json.dumps(doc))
    code, err = run_bot(workdir, capsys)
    assert code == 2, err
    assert err.startswith(f"bot: error: {plan}: ") and needle in err, err


INTERVAL = "interval"  # the shipped constants, per level: {method, mean_edges, ..., normalized}

CALIBRATION_CASES: list[tuple[str, Edit, str]] = [
    (
        "coverage-string",
        lambda d: d["overall"][0].update(coverage="90%"),
        "field 'overall'[0]: field 'coverage' must be a number",
    ),
    (
        "half-width-negative",
        lambda d: d["sources"][0]["levels"][0]["half_width"].__setitem__(0, -1.0),
        "sources[0]: field 'levels'[0]: field 'half_width'[0] must be a finite number in [0,",
    ),
    (
        "level-above-1",
        lambda d: d.update(levels=[0.9, 1.5]),
        "field 'levels'[1] must be a finite number in [0, 1]",
    ),
    (
        "string-seeds",
        lambda d: d.update(seeds=["0", 1]),
        "field 'seeds'[0] (a seed) must be an integer",
    ),
    (
        "normalized-string",
        lambda d: d[INTERVAL]["0.90"].update(normalized="yes"),
        "field 'interval'['0.90']: field 'normalized' must be a boolean",
    ),
    (
        "interval-half-width-string",
        lambda d: d[INTERVAL]["0.90"]["half_width"].__setitem__(0, "big"),
        "field 'interval'['0.90']: field 'half_width'[0] must be a number",
    ),
    (
        "source-extra",
        lambda d: d["sources"][0].update(extra=1),
        "sources[0]: field 'extra' is not one this file has",
    ),
    ("warnings-number", lambda d: d.update(warnings=[3]), "field 'warnings'[0] must be a string"),
]


@pytest.mark.parametrize(
    ("edit", "needle"), [c[1:] for c in CALIBRATION_CASES], ids=[c[0] for c in CALIBRATION_CASES]
)
def test_a_bad_calibration_field_is_exit_2_naming_file_and_field(
    workdir: Path, capsys: pytest.CaptureFixture[str], edit: Edit, needle: str
) -> None:
    import numpy as np

    from flipbot.verdict_file import Verdict
    from gate.calibration import calibrate

    verdict_dir, _ = write_inputs(workdir / "in", make_verdict(seeds=(0, 1)))
    y = {s: np.linspace(40.0, 90.0, 30) for s in ("A", "B", "C")}
    preds = {s: np.stack([y[s] + 1.0 + 0.1 * (np.arange(30) % 2), y[s] - 0.5]) for s in y}
    pins = Verdict.read(verdict_dir / "PROMOTE.json").pins
    doc = calibrate(y, preds).to_json() | {"loso_files": dict(pins.loso_files)}
    doc = json.loads(json.dumps(doc))  # lists, as the bot reads it
    path = verdict_dir / "calibration.json"
    path.write_text(json.dumps(doc))
    assert run_bot(workdir, capsys)[0] == 0
    edit(doc)
    path.write_text(json.dumps(doc))
    code, err = run_bot(workdir, capsys)
    assert code == 2, err
    assert err.startswith(f"bot: error: {path}: ") and needle in err, err
