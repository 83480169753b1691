"""End-to-end: the real action.yml, run by `act` in host mode against the GitHub stand-in.

tests/action/e2e/flow.yml has flip.yml's job layout: a ``train`` job (``stages: train``)
that hands over its loso files only, then a ``promote`` job (``stages: promote``, the trusted
side: ``python -m bot promote``) that takes only those files. Training runs for real on a
small slice of the shipped corpus (tests/action/data/corpus_small.jsonl.gz) with this
interpreter (``train-python``, the GPU side's prepared environment). The promote job builds its
venvs for real, every run, in a new private folder from requirements/bot.lock and
requirements/train.lock with --require-hashes (uv's own cache keeps that to seconds).

Cases: the full two-job run that opens one pull request; an honest refusal (under-trained
seeds disagree) that fails without a write; invented loso files refused before the gate; a
tightened threshold that clears no seed; the threshold override input; ``stages: all`` (one job)
as a dry run; a lasting ``venv-dir`` refused on the trusted side.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flipbot.jsonfile import sha256_bytes
from flipbot.verdict_file import Verdict

from .act_runner import ROOT, ActRun, act_executable, copy_source_tree, run_act
from .corpus_fixture import COMMITTED as COMMITTED_CORPUS
from .corpus_fixture import corpus_sources
from .loso_fixture import write_disagreeing_seeds

sys.path.insert(0, str(ROOT / "tests" / "bot"))
from standin import GitHubStandin

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        act_executable() is None, reason="act is not installed (requirements/ci-tools.txt)"
    ),
    pytest.mark.skipif(
        not COMMITTED_CORPUS.exists(),
        reason=f"{COMMITTED_CORPUS} is missing: python -m tests.action.corpus_fixture",
    ),
]

REGISTRY = "model/tiny/registry.json"
CORPUS = COMMITTED_CORPUS.relative_to(ROOT).as_posix()
SEEDS = "0,1"
EPOCHS = "100"  # see tests/action/corpus_fixture.py for the measured margin
REFUSE_EPOCHS = "3"  # honest but under-trained: measured spread 0.68, the spread rule fails


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[GitHubStandin]:
    """The stand-in repository holds the registry folder and the pinned corpus as the base
    branch has them (the trusted side reads the corpus from the base commit)."""
    gh = GitHubStandin(tmp_path / "github", owner="octo", repo="models").start()
    files = {
        f"model/tiny/{p.name}": p.read_bytes()
        for p in sorted((ROOT / "model" / "tiny").iterdir())
        if p.is_file()
    }
    corpus = {CORPUS: COMMITTED_CORPUS.read_bytes()}
    gh.seed(files | corpus | {"README.md": b"models\n"})
    try:
        yield gh
    finally:
        gh.stop()
    gh.assert_valid()


def knobs(standin: GitHubStandin | None = None, **extra: str) -> dict[str, str]:
    return {
        "STAGES": "promote",
        "CORPUS": CORPUS,
        "SEEDS": SEEDS,
        "EPOCHS": EPOCHS,
        "TRAIN_PYTHON": sys.executable,
        "VENV_DIR": "",
        "PROMOTE_VENV_DIR": "",
        "AUDIT_SAMPLE": "default",
        "TRAIN_CORPUS_BYTES": "",
        "PROMOTE_CORPUS_BYTES": "",
        "REPOSITORY": standin.repo_full_name if standin else "octo/models",
        "API_URL": standin.base_url if standin else "http://127.0.0.1:9",
        "DRY_RUN": "false",
        "MEAN_PLCC_MIN": "",
        "PLCC_SPREAD_MAX": "",
        "PER_SEED_PLCC_MIN": "",
        "ALLOW_OVERRIDE": "false",
    } | extra


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> ActRun:
    """One honest train job (seeds 0,1 x 100 epochs), handed over to several promote jobs."""
    work = tmp_path_factory.mktemp("train")
    source = copy_source_tree(work / "src")
    return run_act(source, work / "act", knobs=knobs(), token="", jobs="train")


def registry_rows(data: bytes) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in json.loads(data)["models"]}


def test_the_train_job_hands_over_loso_files_and_nothing_else(trained: ActRun) -> None:
    assert trained.returncode == 0, trained.log[-4000:]
    assert sorted(p.name for p in (trained.handover / "loso").iterdir()) == [
        "loso_seed0.json",
        "loso_seed1.json",
    ]
    # the train stage wrote only loso/ (no verdict, no export, no model)
    assert (trained.out_dir / "train-artifacts").read_text() == "loso"
    assert "Create the torch venv" not in trained.log  # train-python given: no torch install
    assert "Promote (audit, gate, export, flip)" not in trained.log
    assert not (trained.out_dir / "outputs.json").exists()  # the promote job did not run


def test_promote_opens_one_pull_request_that_ships_the_cleared_seeds(
    tmp_path: Path, standin: GitHubStandin, trained: ActRun
) -> None:
    """The promote job on the train job's loso files (the refusal case runs both jobs in one
    workflow run)."""
    source = copy_source_tree(tmp_path / "src")
    names = corpus_sources(COMMITTED_CORPUS)
    base_files = standin.branch_files("main")
    standin.clear_journal()

    run = run_act(
        source,
        tmp_path / "act",
        knobs=knobs(standin),
        token=standin.token,
        jobs="promote",
        handover=trained.handover,
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
    # the PR body holds the per-source table: one row per held-out source of the corpus
    for name in names:
        assert f"| {name} |" in pull.body or f"**{name}**" in pull.body
    for seed in SEEDS.split(","):
        assert f"PLCC seed {seed}" in pull.body
    # sign: auto (the default) in a job without an OIDC token: unsigned, and the PR says why
    assert "**Unsigned:**" in pull.body and "the job has no OIDC token" in pull.body
    assert "::warning::the flipped models are not signed" in run.log

    flipped_ids = run.outputs["flipped"].split(",")
    assert flipped_ids == [f"fr_regressor_v2_ensemble_v1_seed{s}" for s in SEEDS.split(",")]
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
    # the trusted job built its venvs anew from the locks, and ran no cache
    assert "Create the bot's venv (hash-pinned lock; no torch)" in run.log
    assert "Create the torch venv (trusted side - hash-pinned CPU lock)" in run.log
    assert "flipbot-trusted-" in run.log and "reusing" not in run.log
    # the job summary has the gate table and the per-source table
    assert "| rule | value | threshold | result |" in run.summary
    assert "held-out source" in run.summary


def test_refusing_verdict_fails_the_action_without_a_single_write(
    tmp_path: Path, standin: GitHubStandin
) -> None:
    """Both jobs in one workflow run, as flip.yml runs them: honest seeds trained too briefly
    disagree, and the trusted side's own gate refuses."""
    source = copy_source_tree(tmp_path / "src")
    standin.clear_journal()

    run = run_act(
        source,
        tmp_path / "act",
        knobs=knobs(standin, EPOCHS=REFUSE_EPOCHS),
        token=standin.token,
    )

    assert run.returncode != 0, run.log[-4000:]
    assert run.outcome == "failure", run.log[-4000:]
    assert standin.writes() == []
    assert standin.token not in run.log
    assert standin.pulls() == []
    assert run.outputs["verdict"] == "HOLD", run.log[-4000:]
    assert "spread" in run.outputs["refusal-reason"]
    assert run.outputs["pull-request-number"] == ""
    assert "::error::" in run.log and "refused" in run.log
    assert sorted(p.name for p in (run.handover / "loso").iterdir()) == [
        "loso_seed0.json",
        "loso_seed1.json",
    ]  # what the train job handed over, and all the promote job took
    # the gate table and the per-source table reach the job summary
    assert "| rule | value | threshold | result |" in run.summary
    assert "`plcc_spread`" in run.summary
    for name in corpus_sources(COMMITTED_CORPUS):
        assert name in run.summary


def test_a_corpus_pinned_but_not_committed_travels_with_the_loso_files(
    tmp_path: Path, standin: GitHubStandin
) -> None:
    """SPEC §14: the repository commits only ``<corpus>.sha256``; the train job trains on bytes
    it has (outside the workspace) and hands a copy over; the promote job uses that copy only
    because its sha256 equals the pin (all audit sample folds re-trained, as a dry run)."""
    pinned = "corpus/runs.jsonl.gz"
    data = COMMITTED_CORPUS.read_bytes()
    pin = f"{sha256_bytes(data)}  runs.jsonl.gz\n".encode()
    outside = tmp_path / "runner-data" / "runs.jsonl.gz"
    outside.parent.mkdir()
    outside.write_bytes(data)
    source = copy_source_tree(tmp_path / "src")
    (source / f"{pinned}.sha256").write_bytes(pin)
    standin.commit_to_branch("main", {f"{pinned}.sha256": pin}, message="Pin the corpus")
    standin.clear_journal()

    run = run_act(
        source,
        tmp_path / "act",
        knobs=knobs(
            standin,
            CORPUS=pinned,
            TRAIN_CORPUS_BYTES=str(outside),
            PROMOTE_CORPUS_BYTES="flipbot-corpus/runs.jsonl.gz",
            AUDIT_SAMPLE="all",
            DRY_RUN="true",
        ),
        token=standin.token,
    )

    assert run.returncode == 0, run.log[-6000:]
    assert (run.out_dir / "train-artifacts").read_text().split() == ["corpus", "loso"]
    assert (run.handover / "corpus" / "runs.jsonl.gz").read_bytes() == data
    assert run.outputs["verdict"] == "PROMOTE"
    assert run.outputs["pull-request-operation"] == "dry-run"
    assert standin.writes() == []
    assert "(pin-file, sha256" in run.log and "re-training 10 fold(s)" in run.log


def test_invented_loso_files_are_refused_before_the_gate(
    tmp_path: Path, standin: GitHubStandin
) -> None:
    """Loso files of sources the pinned corpus does not hold: exit 2, nothing written."""
    invented = tmp_path / "handover" / "loso"
    write_disagreeing_seeds(invented, seeds=(0, 1))
    source = copy_source_tree(tmp_path / "src")
    standin.clear_journal()

    run = run_act(
        source,
        tmp_path / "act",
        knobs=knobs(standin),
        token=standin.token,
        jobs="promote",
        handover=tmp_path / "handover",
    )

    assert run.returncode != 0 and run.outcome == "failure", run.log[-4000:]
    assert standin.writes() == []
    assert run.outputs["verdict"] == ""  # never judged
    assert "::error" in run.log and "loso_seed0.json" in run.log, run.log[-4000:]


def test_a_tightened_threshold_that_clears_no_seed_writes_nothing(
    tmp_path: Path, standin: GitHubStandin, trained: ActRun
) -> None:
    """Spread holds but no seed reaches 0.999 (tightening needs no override): HOLD."""
    source = copy_source_tree(tmp_path / "src")
    standin.clear_journal()

    run = run_act(
        source,
        tmp_path / "act",
        knobs=knobs(standin, PER_SEED_PLCC_MIN="0.999", MEAN_PLCC_MIN="0.999"),
        token=standin.token,
        jobs="promote",
        handover=trained.handover,
    )

    assert run.outputs["verdict"] == "HOLD", run.log[-4000:]
    assert standin.writes() == []
    assert run.outcome == "failure" and run.returncode != 0
    assert run.outputs["refusal-reason"] == "no seed cleared the gate", run.log[-3000:]
    assert "::error::flipbot refused the flip: no seed cleared the gate" in run.log


def test_loosening_the_gate_needs_the_explicit_override_input(
    tmp_path: Path, standin: GitHubStandin
) -> None:
    """Refused at the inputs without the override; with it, ``stages: all`` in one job (the
    single-runner layout) trains, audits, gates with the loosened bound and dry-runs the flip."""
    source = copy_source_tree(tmp_path / "src")
    loose = knobs(standin, STAGES="all", PLCC_SPREAD_MAX="0.05", DRY_RUN="true")
    standin.clear_journal()

    refused = run_act(source, tmp_path / "act1", knobs=loose, token="", jobs="promote")
    assert refused.returncode != 0 and refused.outcome == "failure"
    assert (
        "::error title=flipbot::thresholds: input 'plcc-spread-max' 0.05 (ADR-0303: 0.005) "
        "loosens the ADR-0303 gate" in refused.log
    )
    assert "Train (leave-one-source-out)" not in refused.log  # stopped before any stage ran

    allowed = run_act(
        source,
        tmp_path / "act2",
        knobs=loose | {"ALLOW_OVERRIDE": "true"},
        token=standin.token,
        jobs="promote",
    )
    assert allowed.returncode == 0, allowed.log[-6000:]
    assert allowed.outputs["verdict"] == "PROMOTE"
    assert allowed.outputs["pull-request-operation"] == "dry-run"
    assert standin.writes() == []
    verdicts = list(allowed.artifacts.rglob("PROMOTE.json"))
    assert len(verdicts) == 1, verdicts
    verdict = Verdict.read(verdicts[0])
    assert verdict.thresholds_overridden is True
    assert verdict.thresholds["plcc_spread"] == 0.05
    # the dry run prints the registry diff: both rows flipped
    diff = first_diff(allowed.log)
    assert diff[:2] == ["--- a/model/tiny/registry.json", "+++ b/model/tiny/registry.json"]
    assert sum(line == '+      "smoke": false' for line in diff) == 2


def test_a_lasting_venv_dir_is_refused_on_the_trusted_job(
    tmp_path: Path, standin: GitHubStandin
) -> None:
    """A venv planted where a self-hosted runner keeps venvs is never run with the token."""
    lasting = tmp_path / "lasting"
    marker = tmp_path / "ran.txt"
    python = lasting / "bot-0123456789abcdef" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f"#!/bin/sh\necho ran >> {marker}\n")
    python.chmod(0o755)
    source = copy_source_tree(tmp_path / "src")
    standin.clear_journal()

    run = run_act(
        source,
        tmp_path / "act",
        knobs=knobs(standin, PROMOTE_VENV_DIR=str(lasting)),
        token=standin.token,
        jobs="promote",
    )

    assert run.returncode != 0 and run.outcome == "failure"
    assert "::error title=flipbot::input 'venv-dir': " in run.log
    assert "Create the bot's venv" not in run.log.split("Check the inputs", 1)[1]
    assert not marker.exists() and standin.writes() == []


def first_diff(log: str) -> list[str]:
    """The first unified diff in an act log, without act's "[job]   | " prefixes."""
    lines = [line.split("| ", 1)[1] if "| " in line else line for line in log.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("--- a/"))
    end = start + 2
    while end < len(lines) and lines[end][:1] in ("@", "+", "-", " "):
        end += 1
    return lines[start:end]
