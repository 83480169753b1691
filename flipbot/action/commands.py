"""The command line of each Action step, built from its ``env:``.

action.yml passes validated values (the ``inputs`` step's outputs) through
each step's environment and runs one line, ``"$PY" -m flipbot.action run
STAGE``; this module turns that environment into the stage's argv and the
helper ``exec``s it with the same interpreter. No shell ever sees a value,
so no value can be read as shell syntax.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from flipbot.action.venv_step import ensure
from flipbot.errors import InputError

STAGES = ("train", "gate", "export", "bot")


def _need(env: Mapping[str, str], key: str, stage: str) -> str:
    value = env.get(key, "")
    if not value:
        raise InputError(f"step '{stage}': environment variable {key} is empty; check action.yml")
    return value


def _on(env: Mapping[str, str], key: str) -> bool:
    return env.get(key, "false") == "true"


def stage_argv(stage: str, env: Mapping[str, str]) -> list[str]:
    """``-m MODULE ARGS...`` for one stage, from the step's environment."""
    if stage == "train":
        return [
            "-m", "trainer", "loso",
            "--corpus", _need(env, "CORPUS", stage),
            "--seeds", _need(env, "SEEDS", stage),
            "--epochs", _need(env, "EPOCHS", stage),
            "--device", _need(env, "DEVICE", stage),
            "--out-dir", _need(env, "LOSO_DIR", stage),
        ]  # fmt: skip
    if stage == "gate":
        # --exit-zero: a HOLD is not a failure here; the bot reports it (and fails on a refusal).
        argv = ["-m", "gate", _need(env, "LOSO_DIR", stage), "--seeds", _need(env, "SEEDS", stage)]
        argv += ["--exit-zero", "--plots"]
        if env.get("GITHUB_STEP_SUMMARY"):
            argv += ["--summary", env["GITHUB_STEP_SUMMARY"]]
        if _on(env, "THRESHOLDS"):
            argv += ["--mean-plcc-threshold", _need(env, "MEAN_PLCC_MIN", stage)]
            argv += ["--plcc-spread-max", _need(env, "PLCC_SPREAD_MAX", stage)]
            argv += ["--per-seed-min", _need(env, "PER_SEED_PLCC_MIN", stage)]
            if _on(env, "ALLOW_OVERRIDE"):
                argv.append("--allow-threshold-override")
        return argv
    if stage == "export":
        return [
            "-m", "trainer", "export",
            "--corpus", _need(env, "CORPUS", stage),
            "--verdict-dir", _need(env, "LOSO_DIR", stage),
            "--registry", _need(env, "REGISTRY", stage),
            "--device", _need(env, "DEVICE", stage),
            "--out-dir", _need(env, "EXPORT_DIR", stage),
        ]  # fmt: skip
    if stage == "bot":
        argv = ["-m", "bot", "--verdict-dir", _need(env, "LOSO_DIR", stage)]
        argv += ["--artifacts", _need(env, "EXPORT_DIR", stage)]
        argv += ["--registry", _need(env, "REGISTRY", stage)]
        argv += ["--repo", _need(env, "REPOSITORY", stage), "--base", _need(env, "BASE", stage)]
        argv += ["--api-url", _need(env, "API_URL", stage)]
        if env.get("LABELS"):
            argv += ["--labels", env["LABELS"]]
        if env.get("DRAFT") in ("true", "always-true"):
            argv += ["--draft", env["DRAFT"]]
        if _on(env, "ALLOW_RECIPE_OVERRIDE"):
            argv.append("--allow-recipe-override")
        argv += _convention_flags(env)
        if _on(env, "DRY_RUN"):
            argv.append("--dry-run")
        if env.get("FAIL_ON_REFUSAL") == "false":
            argv.append("--no-fail-on-refusal")
        return argv
    raise InputError(f"unknown stage '{stage}'; expected one of {', '.join(STAGES)}")


# Bot flags taken from the step's environment as they are (validated by the inputs step).
CONVENTION_FLAGS = (
    "TITLE_TEMPLATE", "COMMIT_MESSAGE_TEMPLATE", "BODY_TEMPLATE", "BODY_HEADER", "BODY_FOOTER",
    "EXTRA_FILES", "ROW_UPDATES", "REVIEWERS", "TEAM_REVIEWERS", "ASSIGNEES", "MILESTONE",
    "AUTHOR", "COMMITTER", "BRANCH", "VERDICT_FILE", "SIGN", "IDENTITY_REGEXP",
)  # fmt: skip


def _convention_flags(env: Mapping[str, str]) -> list[str]:
    argv = []
    for key in CONVENTION_FLAGS:
        if env.get(key):
            # "--flag=value": a value that starts with "-" stays a value
            argv.append(f"--{key.lower().replace('_', '-')}={env[key]}")
    if _on(env, "SIGNOFF"):
        argv.append("--signoff")
    return argv


def run_stage(stage: str, env: Mapping[str, str]) -> None:
    """Replace this process with the stage, run by this same interpreter."""
    argv = [sys.executable, *stage_argv(stage, env)]
    sys.stdout.flush()
    os.execv(sys.executable, argv)


def make_venv(folder: Path, requirements: Path) -> Path:
    """Create (or reuse, when finished for the same pins) a venv at ``folder``; its python."""
    return ensure(folder, requirements)
