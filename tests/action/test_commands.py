"""Each Action step's command line is built from its environment, never by a shell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flipbot.action.commands import make_venv, stage_argv
from flipbot.errors import InputError

BOT_ENV = {
    "LOSO_DIR": "a/loso",
    "EXPORT_DIR": "a/export",
    "REGISTRY": "model/tiny/registry.json",
    "REPOSITORY": "octo/models",
    "BASE": "main",
    "API_URL": "https://api.github.com",
}


def test_train_argv_carries_every_value_as_one_argument() -> None:
    env = {"CORPUS": "c d.jsonl", "SEEDS": "3", "EPOCHS": "20", "DEVICE": "cpu", "LOSO_DIR": "x"}
    assert stage_argv("train", env) == [
        "-m", "trainer", "loso", "--corpus", "c d.jsonl", "--seeds", "3", "--epochs", "20",
        "--device", "cpu", "--out-dir", "x",
    ]  # fmt: skip


def test_gate_argv_adds_thresholds_only_when_given_and_the_override_only_when_allowed() -> None:
    env = {"LOSO_DIR": "l", "SEEDS": "0,1", "GITHUB_STEP_SUMMARY": "/s.md"}
    assert stage_argv("gate", env) == [
        "-m", "gate", "l", "--seeds", "0,1", "--exit-zero", "--plots", "--summary", "/s.md",
    ]  # fmt: skip
    env |= {"THRESHOLDS": "true", "MEAN_PLCC_MIN": "0.9", "PLCC_SPREAD_MAX": "0.01"}
    env |= {"PER_SEED_PLCC_MIN": "0.9"}
    argv = stage_argv("gate", env)
    assert argv[-6:] == [
        "--mean-plcc-threshold", "0.9", "--plcc-spread-max", "0.01", "--per-seed-min", "0.9",
    ]  # fmt: skip
    assert "--allow-threshold-override" in stage_argv("gate", env | {"ALLOW_OVERRIDE": "true"})


def test_bot_flags_follow_the_inputs() -> None:
    argv = stage_argv("bot", BOT_ENV)
    assert argv[:2] == ["-m", "bot"] and "--dry-run" not in argv and "--draft" not in argv
    flagged = stage_argv(
        "bot",
        BOT_ENV | {"LABELS": "a,b", "DRAFT": "true", "DRY_RUN": "true", "FAIL_ON_REFUSAL": "false"},
    )
    assert flagged[-6:] == [
        "--labels", "a,b", "--draft", "true", "--dry-run", "--no-fail-on-refusal",
    ]  # fmt: skip


def test_pr_convention_flags_pass_each_value_as_one_argument() -> None:
    env = BOT_ENV | {
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
    argv = stage_argv("bot", env)
    assert argv[argv.index("--draft") + 1] == "always-true"
    assert "--title-template=-feat: {{ ensemble }}" in argv
    assert "--extra-files=a/{{ ensemble }}.md=t/a.md\nb.md=t/b.md" in argv
    assert "--reviewers=alice,bob" in argv and "--milestone=3" in argv and "--signoff" in argv
    assert not any(a.startswith("--branch") for a in argv)
    from bot.__main__ import build_parser

    args = build_parser().parse_args(argv[2:])
    assert args.title_template == "-feat: {{ ensemble }}" and args.draft == "always-true"
    assert args.extra_files == "a/{{ ensemble }}.md=t/a.md\nb.md=t/b.md" and args.signoff
    assert (args.sign, args.identity_regexp) == ("required", "^https://github\\.com/o/r/.+$")


def test_a_hostile_value_stays_one_argument() -> None:
    argv = stage_argv("bot", BOT_ENV | {"LABELS": "x; rm -rf / #"})
    assert argv[argv.index("--labels") + 1] == "x; rm -rf / #"


def test_an_empty_required_value_is_an_input_error_naming_it() -> None:
    with pytest.raises(InputError, match="REGISTRY is empty"):
        stage_argv("export", {"CORPUS": "c", "LOSO_DIR": "l", "DEVICE": "cpu", "EXPORT_DIR": "e"})


def test_run_executes_the_stage_with_the_same_interpreter(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(root),
        "LOSO_DIR": str(tmp_path),
        "SEEDS": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "flipbot.action", "run", "gate"],
        env=env, capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    # The gate itself answered: no loso file in an empty folder is its bad-input exit.
    assert done.returncode == 2
    assert "loso_seed0.json" in done.stderr


def test_make_venv_reuses_an_existing_environment(tmp_path: Path) -> None:
    requirements = tmp_path / "req.txt"
    requirements.write_text("# nothing to install\n")
    python = make_venv(tmp_path / "venv", requirements)
    assert python == tmp_path / "venv" / "bin" / "python" and python.exists()
    stamp = python.stat().st_mtime_ns
    assert make_venv(tmp_path / "venv", requirements) == python
    assert python.stat().st_mtime_ns == stamp
