"""End-to-end: the real action.yml, run by `act` in host mode against the GitHub stand-in.

Two paths: a refusal (seeds that disagree, so the spread rule fails) and a PROMOTE run
that trains for real on a small slice of the shipped corpus
(tests/action/data/corpus_small.jsonl.gz), exports ONNX and opens one flip pull request. The
gate's venv (requirements/base.txt) and the bot's (requirements/bot.lock, hash-checked) are
built for real into keyed folders under ``FLIPBOT_E2E_VENV_DIR`` (default
.cache/action-e2e-venvs): the first run pays for the install, later runs reuse them. Training uses this interpreter
(``train-python``) so torch is not installed again.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flipbot.jsonfile import sha256_bytes
from flipbot.plan_file import FlipPlan
from flipbot.verdict_file import Verdict

from .act_runner import ROOT, act_executable, copy_source_tree, run_act
from .corpus_fixture import COMMITTED as COMMITTED_CORPUS
from .corpus_fixture import corpus_sources
from .loso_fixture import SOURCES, weak_agreeing_seeds, write_disagreeing_seeds

sys.path.insert(0, str(ROOT / "tests" / "bot"))
from standin import GitHubStandin

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        act_executable() is None, reason="act is not installed (requirements/ci-tools.txt)"
    ),
]

REGISTRY = "model/tiny/registry.json"
PROMOTE_SEEDS = "0,1"
EPOCHS = "100"  # see tests/action/corpus_fixture.py for the measured margin
VENV_DIR = os.environ.get("FLIPBOT_E2E_VENV_DIR", str(ROOT / ".cache" / "action-e2e-venvs"))


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[GitHubStandin]:
    """The stand-in repository holds the registry folder and the pinned corpus as the base
    branch has them (the bot reads the corpus the gate judged from the base commit)."""
    gh = GitHubStandin(tmp_path / "github", owner="octo", repo="models").start()
    files = {
        f"model/tiny/{p.name}": p.read_bytes()
        for p in sorted((ROOT / "model" / "tiny").iterdir())
        if p.is_file()
    }
    corpus = {COMMITTED_CORPUS.relative_to(ROOT).as_posix(): COMMITTED_CORPUS.read_bytes()}
    gh.seed(files | corpus | {"README.md": b"models\n"})
    try:
        yield gh
    finally:
        gh.stop()
    gh.assert_valid()


def knobs(standin: GitHubStandin, **extra: str) -> dict[str, str]:
    return {
        "STAGES": "all",
        "CORPUS": "tests/action/data/corpus_small.jsonl.gz",
        "SEEDS": "0,1",
        "EPOCHS": EPOCHS,
        "TRAIN_PYTHON": sys.executable,
        "VENV_DIR": VENV_DIR,
        "REPOSITORY": standin.repo_full_name,
        "API_URL": standin.base_url,
        "DRY_RUN": "false",
        "PLCC_SPREAD_MAX": "",
        "ALLOW_OVERRIDE": "false",
    } | extra


def registry_rows(data: bytes) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in json.loads(data)["models"]}


def test_refusing_verdict_fails_the_action_without_a_single_write(
    tmp_path: Path, standin: GitHubStandin
) -> None:
    source = copy_source_tree(tmp_path / "src")
    write_disagreeing_seeds(source / "flipbot-artifacts" / "loso", seeds=(0, 1))
    standin.clear_journal()

    run = run_act(
        source, tmp_path / "act", knobs=knobs(standin, STAGES="gate,bot"), token=standin.token
    )

    assert run.returncode != 0, run.log[-4000:]
    assert run.outcome == "failure", run.log[-4000:]
    assert standin.writes() == []
    assert standin.token not in run.log
    assert standin.pulls() == []
    assert run.outputs["verdict"] == "HOLD"
    assert "spread" in run.outputs["refusal-reason"]
    assert run.outputs["pull-request-number"] == ""
    assert "::error::" in run.log and "refused" in run.log
    # the gate table and the per-source table reach the job summary
    assert "| rule | value | threshold | result |" in run.summary
    assert "`plcc_spread`" in run.summary
    for source_name in SOURCES:
        assert source_name in run.summary
    assert (run.artifacts / "loso" / "HOLD.json").exists()
    assert not (run.artifacts / "export").exists()


def test_loosening_the_gate_needs_the_explicit_override_input(
    tmp_path: Path, standin: GitHubStandin
) -> None:
    source = copy_source_tree(tmp_path / "src")
    write_disagreeing_seeds(source / "flipbot-artifacts" / "loso", seeds=(0, 1))
    loose = knobs(standin, STAGES="gate", PLCC_SPREAD_MAX="0.05")

    refused = run_act(source, tmp_path / "act1", knobs=loose, token="")
    assert refused.returncode != 0 and refused.outcome == "failure"
    assert "::error title=flipbot::inputs 'mean-plcc-min'/'plcc-spread-max'" in refused.log
    assert "Run Main Gate (ADR-0303)" not in refused.log  # stopped before any stage ran

    allowed = run_act(source, tmp_path / "act2", knobs=loose | {"ALLOW_OVERRIDE": "true"}, token="")
    assert allowed.returncode == 0, allowed.log[-3000:]
    assert allowed.outputs["verdict"] == "PROMOTE"
    verdict = Verdict.read(allowed.artifacts / "loso" / "PROMOTE.json")
    assert verdict.thresholds_overridden is True
    assert (
        verdict.thresholds["plcc_spread_max"] == 0.05
        if "plcc_spread_max" in verdict.thresholds
        else True
    )


def test_hold_without_cleared_seeds_exports_nothing_and_writes_nothing(
    tmp_path: Path, standin: GitHubStandin
) -> None:
    """Spread holds but no seed reaches 0.95: not a refusal, yet nothing can flip."""
    source = copy_source_tree(tmp_path / "src")
    for artefact in weak_agreeing_seeds((0, 1)):
        artefact.write(source / "flipbot-artifacts" / "loso")
    standin.clear_journal()

    run = run_act(
        source,
        tmp_path / "act",
        knobs=knobs(standin, STAGES="gate,export,bot"),
        token=standin.token,
    )

    assert run.outputs["verdict"] == "HOLD"
    assert standin.writes() == []
    assert not (run.artifacts / "export").exists()  # export skipped: the verdict flips no seed
    assert run.outcome == "failure" and run.returncode != 0
    assert run.outputs["refusal-reason"] == "no seed cleared the gate", run.log[-3000:]
    assert "::error::flipbot refused the flip: no seed cleared the gate" in run.log


@pytest.mark.skipif(
    not COMMITTED_CORPUS.exists(),
    reason=f"{COMMITTED_CORPUS} is missing: python -m tests.action.corpus_fixture",
)
def test_promote_opens_one_pull_request_that_ships_the_cleared_seeds(
    tmp_path: Path, standin: GitHubStandin
) -> None:
    source = copy_source_tree(tmp_path / "src")
    names = corpus_sources(COMMITTED_CORPUS)
    base_files = standin.branch_files("main")
    standin.clear_journal()

    run = run_act(
        source, tmp_path / "act", knobs=knobs(standin, SEEDS=PROMOTE_SEEDS), token=standin.token
    )

    assert run.returncode == 0, run.log[-6000:]
    assert run.outcome == "success"
    assert run.outputs["verdict"] == "PROMOTE", run.summary
    pulls = standin.pulls()
    assert len(pulls) == 1
    pull = pulls[0]
    assert run.outputs["pull-request-number"] == str(pull.number)
    assert run.outputs["pull-request-operation"] == "created"
    branch = run.outputs["pull-request-branch"]
    assert branch == "flipbot/registry"
    assert run.outputs["pull-request-head-sha"] == standin.branch_sha(branch)
    assert run.outputs["pull-request-url"].endswith(f"/pull/{pull.number}")
    assert run.outputs["refusal-reason"] == ""
    assert standin.token not in run.log
    # the PR body holds the per-source table: one row per held-out source
    for name in names:
        assert f"| {name} |" in pull.body or f"**{name}**" in pull.body
    for seed in PROMOTE_SEEDS.split(","):
        assert f"PLCC seed {seed}" in pull.body
    # sign: auto (the default) in a job without an OIDC token: unsigned, and the PR says why
    assert "**Unsigned:**" in pull.body and "the job has no OIDC token" in pull.body
    assert "::warning::the flipped models are not signed" in run.log

    plan = FlipPlan.read(run.artifacts / "export" / "flip_plan.json")
    flipped_ids = {row.id for row in plan.rows}
    assert run.outputs["flipped"].split(",") == [row.id for row in plan.rows]
    branch_files = standin.branch_files(branch)
    # only the cleared rows changed, and they point at the committed ONNX files
    before, after = registry_rows(base_files[REGISTRY]), registry_rows(branch_files[REGISTRY])
    assert before.keys() == after.keys()
    for row_id in before:
        if row_id in flipped_ids:
            assert after[row_id]["smoke"] is False
            onnx_path = f"model/tiny/{after[row_id]['onnx']}"
            assert after[row_id]["sha256"] == sha256_bytes(branch_files[onnx_path])
            assert {k: v for k, v in after[row_id].items() if k not in ("smoke", "sha256")} == {
                k: v for k, v in before[row_id].items() if k not in ("smoke", "sha256")
            }
        else:
            assert after[row_id] == before[row_id]
    for shipped in plan.files:  # ONNX files and sidecars, byte for byte
        assert sha256_bytes(branch_files[shipped.path]) == shipped.sha256
    assert {p for p in branch_files if p.endswith(".json") and p != REGISTRY} >= {
        f.path for f in plan.files if f.path.endswith(".json")
    }
    # the job summary has the gate table and the per-source table
    assert "| rule | value | threshold | result |" in run.summary
    assert "held-out source" in run.summary


@pytest.mark.skipif(not COMMITTED_CORPUS.exists(), reason=f"{COMMITTED_CORPUS} is missing")
def test_split_stages_hand_over_through_the_artifacts_folder(
    tmp_path: Path, standin: GitHubStandin
) -> None:
    """As flip.yml splits the work: train+gate+export on one runner, the bot (here a dry
    run, as in the CI self-test) on another, with only the artifacts folder between them."""
    standin.clear_journal()
    first = copy_source_tree(tmp_path / "src1")
    gpu = run_act(
        first,
        tmp_path / "act1",
        knobs=knobs(standin, STAGES="train,gate,export", SEEDS=PROMOTE_SEEDS),
        token="",
    )
    assert gpu.returncode == 0, gpu.log[-6000:]
    assert gpu.outputs["verdict"] == "PROMOTE"
    assert gpu.outputs["pull-request-number"] == ""
    assert standin.requests == []  # train, gate and export never talk to GitHub
    assert "Create the training venv" not in gpu.log  # train-python given: no torch install

    second = copy_source_tree(tmp_path / "src2")
    shutil.copytree(gpu.artifacts, second / "flipbot-artifacts")
    bot = run_act(
        second,
        tmp_path / "act2",
        knobs=knobs(standin, STAGES="bot", SEEDS=PROMOTE_SEEDS, DRY_RUN="true"),
        token=standin.token,
    )
    assert bot.returncode == 0, bot.log[-6000:]
    assert standin.writes() == []
    assert bot.outputs["verdict"] == "PROMOTE"
    plan = FlipPlan.read(gpu.artifacts / "export" / "flip_plan.json")
    assert bot.outputs["flipped"].split(",") == [row.id for row in plan.rows]
    assert "Train (leave-one-source-out)" not in bot.log.split("Run Main ./", 1)[1]
    # the bot ran in a venv made only from the hash-pinned lock: no torch, no matplotlib there
    assert "Create the bot's venv (hash-pinned lock" in bot.log
    stamps = sorted(Path(VENV_DIR).glob("bot-*/.flipbot-venv-key"), key=lambda p: p.stat().st_mtime)
    site = next(stamps[-1].parent.glob("lib/python3*/site-packages"))
    assert (site / "onnxruntime").is_dir() and (site / "github").is_dir()
    assert not (site / "torch").exists() and not (site / "matplotlib").exists()
    diff = first_diff(bot.log)  # the dry run prints the registry diff
    assert diff[:2] == ["--- a/model/tiny/registry.json", "+++ b/model/tiny/registry.json"]
    assert sum(line == '+      "smoke": false' for line in diff) == len(plan.rows)
    assert sum(line.startswith('+      "sha256": ') for line in diff) == len(plan.rows)


def first_diff(log: str) -> list[str]:
    """The first unified diff in an act log, without act's "[job]   | " prefixes."""
    lines = [line.split("| ", 1)[1] if "| " in line else line for line in log.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("--- a/"))
    end = start + 2
    while end < len(lines) and lines[end][:1] in ("@", "+", "-", " "):
        end += 1
    return lines[start:end]
