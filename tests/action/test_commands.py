"""Each Action step's command line is built from its environment, never by a shell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flipbot.action.commands import make_venv, stage_argv
from flipbot.errors import InputError

PROMOTE_ENV = {
    "LOSO_DIR": "a/loso",
    "REGISTRY": "model/tiny/registry.json",
    "REPOSITORY": "octo/models",
    "BASE": "main",
    "CORPUS": "corpus/c.jsonl.gz",
    "SEEDS": "0,1",
    "EPOCHS": "200",
    "AUDIT_SAMPLE": "default",
    "TRAIN_PY": "/tmp/trusted/torch/bin/python",
    "PROMOTE_DIR": "a/promote",
    "API_URL": "https://api.github.com",
}


def test_train_argv_carries_every_value_as_one_argument() -> None:
    env = {"CORPUS": "c d.jsonl", "SEEDS": "3", "EPOCHS": "20", "DEVICE": "cpu", "LOSO_DIR": "x"}
    assert stage_argv("train", env) == [
        "-m", "trainer", "loso", "--corpus", "c d.jsonl", "--seeds", "3", "--epochs", "20",
        "--device", "cpu", "--out-dir", "x",
    ]  # fmt: skip
    # a pinned corpus not in git: the loso files record the pinned path (the bytes are put
    # there before training)
    named = stage_argv("train", env | {"CORPUS_BYTES": "/data/c.jsonl"})
    assert named[named.index("--corpus") + 1] == "c d.jsonl"


def test_promote_argv_is_exactly_bot_promote_with_the_trusted_torch() -> None:
    assert stage_argv("promote", PROMOTE_ENV) == [
        "-m", "bot", "promote", "--loso-dir", "a/loso", "--registry", "model/tiny/registry.json",
        "--repo", "octo/models", "--base", "main", "--corpus", "corpus/c.jsonl.gz",
        "--seeds", "0,1", "--epochs", "200", "--train-python", "/tmp/trusted/torch/bin/python",
        "--work-dir", "a/promote", "--api-url", "https://api.github.com",
    ]  # fmt: skip
    more = stage_argv(
        "promote", PROMOTE_ENV | {"AUDIT_SAMPLE": "all", "CORPUS_BYTES": "dl/c.jsonl.gz"}
    )
    assert more[more.index("--audit-sample") + 1] == "all"
    assert more[more.index("--corpus-bytes") + 1] == "dl/c.jsonl.gz"


def test_promote_adds_thresholds_only_when_given_and_the_override_only_when_allowed() -> None:
    env = PROMOTE_ENV | {"THRESHOLDS": "true", "MEAN_PLCC_MIN": "0.9", "PLCC_SPREAD_MAX": "0.01"}
    env |= {"PER_SEED_PLCC_MIN": "0.9"}
    argv = stage_argv("promote", env)
    at = argv.index("--mean-plcc-threshold")
    assert argv[at : at + 6] == [
        "--mean-plcc-threshold", "0.9", "--plcc-spread-max", "0.01", "--per-seed-min", "0.9",
    ]  # fmt: skip
    assert "--allow-threshold-override" not in argv
    assert "--allow-threshold-override" in stage_argv("promote", env | {"ALLOW_OVERRIDE": "true"})
    assert "--mean-plcc-threshold" not in stage_argv("promote", PROMOTE_ENV)


def test_bot_flags_follow_the_inputs() -> None:
    argv = stage_argv("promote", PROMOTE_ENV)
    assert argv[:3] == ["-m", "bot", "promote"] and "--dry-run" not in argv
    assert "--draft" not in argv
    flagged = stage_argv(
        "promote",
        PROMOTE_ENV
        | {"LABELS": "a,b", "DRAFT": "true", "DRY_RUN": "true", "FAIL_ON_REFUSAL": "false"},
    )
    assert flagged[-6:] == [
        "--labels", "a,b", "--draft", "true", "--dry-run", "--no-fail-on-refusal",
    ]  # fmt: skip


def test_pr_convention_flags_pass_each_value_as_one_argument() -> None:
    env = PROMOTE_ENV | {
        "DRAFT": "always-true",
        "TITLE_TEMPLATE": "-feat: {{ ensemble }}",
        "EXTRA_FILES": "a/{{ ensemble }}.md=t/a.md\nb.md=t/b.md",
        "REVIEWERS": "alice,bob",
        "MILESTONE": "3",
        "SIGNOFF": "true",
        "BRANCH": "",
        "SIGN": "required",
        "IDENTITY_REGEXP": "^https://github\\.com/o/r/.+$",
    }
    argv = stage_argv("promote", env)
    assert argv[argv.index("--draft") + 1] == "always-true"
    assert "--title-template=-feat: {{ ensemble }}" in argv
    assert "--extra-files=a/{{ ensemble }}.md=t/a.md\nb.md=t/b.md" in argv
    assert "--reviewers=alice,bob" in argv and "--milestone=3" in argv and "--signoff" in argv
    assert not any(a.startswith("--branch") for a in argv)
    from bot.promote.command import build_parser

    args = build_parser().parse_args(argv[3:])
    assert args.title_template == "-feat: {{ ensemble }}" and args.draft == "always-true"
    assert args.extra_files == "a/{{ ensemble }}.md=t/a.md\nb.md=t/b.md" and args.signoff
    assert (args.sign, args.identity_regexp) == ("required", "^https://github\\.com/o/r/.+$")
    assert (args.loso_dir, args.work_dir, args.train_python) == (
        "a/loso", "a/promote", "/tmp/trusted/torch/bin/python",
    )  # fmt: skip


def test_every_promote_flag_the_action_passes_is_one_bot_promote_accepts() -> None:
    from bot.promote.command import build_parser
    from bot.promote.flags import check_promote_flags

    env = PROMOTE_ENV | {"THRESHOLDS": "true", "MEAN_PLCC_MIN": "0.9", "PLCC_SPREAD_MAX": "0.01"}
    env |= {"PER_SEED_PLCC_MIN": "0.9", "ALLOW_OVERRIDE": "true", "AUDIT_SAMPLE": "all"}
    env |= {"CORPUS_BYTES": "c.bin", "LABELS": "x", "DRY_RUN": "true", "FAIL_ON_REFUSAL": "false"}
    env |= {"ALLOW_RECIPE_OVERRIDE": "true", "DRAFT": "true"}
    args = build_parser().parse_args(stage_argv("promote", env)[3:])
    check_promote_flags(args)  # the flags' rules: each value as bot promote uses it
    assert (args.audit_sample, args.corpus_bytes, args.per_seed_min) == ("all", "c.bin", 0.9)
    assert args.allow_threshold_override and args.dry_run and not args.fail_on_refusal


def test_a_hostile_value_stays_one_argument() -> None:
    argv = stage_argv("promote", PROMOTE_ENV | {"LABELS": "x; rm -rf / #"})
    assert argv[argv.index("--labels") + 1] == "x; rm -rf / #"


def test_an_empty_required_value_is_an_input_error_naming_it() -> None:
    with pytest.raises(InputError, match="TRAIN_PY is empty"):
        stage_argv("promote", PROMOTE_ENV | {"TRAIN_PY": ""})
    with pytest.raises(InputError, match="unknown stage 'gate'"):
        stage_argv("gate", PROMOTE_ENV)


def test_run_executes_the_stage_with_the_same_interpreter(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    (tmp_path / "bytes.jsonl").write_text("not a corpus\n")
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(root),
        "CORPUS": "pin.json",
        "CORPUS_BYTES": "bytes.jsonl",
        "CORPUS_COPY": "art/corpus/bytes.jsonl",
        "SEEDS": "0",
        "EPOCHS": "1",
        "DEVICE": "cpu",
        "LOSO_DIR": "art/loso",
    }
    done = subprocess.run(
        [sys.executable, "-m", "flipbot.action", "run", "train"],
        env=env, capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    # The trainer itself answered: a file that is not a corpus is its bad-input exit, after the
    # stage put the bytes at the pinned path and beside the loso files for the upload.
    assert done.returncode == 2, done.stdout + done.stderr
    assert "pin.json" in done.stderr
    assert (tmp_path / "pin.json").read_text() == "not a corpus\n"
    assert (tmp_path / "art/corpus/bytes.jsonl").read_text() == "not a corpus\n"
    assert not list((tmp_path / "art" / "corpus").glob(".*.tmp"))


def test_make_venv_reuses_an_existing_environment_on_the_train_side(tmp_path: Path) -> None:
    requirements = tmp_path / "req.txt"
    requirements.write_text("# nothing to install\n")
    env = {"VENV": str(tmp_path / "venv"), "REQUIREMENTS": str(requirements), "FRESH": "false"}
    python = make_venv(env)
    assert python == tmp_path / "venv" / "bin" / "python" and python.exists()
    stamp = python.stat().st_mtime_ns
    assert make_venv(env) == python
    assert python.stat().st_mtime_ns == stamp
