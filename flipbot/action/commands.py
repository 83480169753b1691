"""The command line of each Action step, built from its ``env:``.

action.yml passes validated values (the ``inputs`` step's outputs) through
each step's environment and runs one line, ``"$PY" -m flipbot.action run
STAGE``; this module turns that environment into the stage's argv and the
helper ``exec``s it with the same interpreter. No shell ever sees a value,
so no value can be read as shell syntax.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from flipbot.action.venv_step import ensure
from flipbot.errors import InputError

STAGES = ("train", "promote")


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
        # The pinned path, which the loso files record (with corpus-bytes, run_stage has put
        # those bytes there first).
        return [
            "-m", "trainer", "loso",
            "--corpus", _need(env, "CORPUS", stage),
            "--seeds", _need(env, "SEEDS", stage),
            "--epochs", _need(env, "EPOCHS", stage),
            "--device", _need(env, "DEVICE", stage),
            "--out-dir", _need(env, "LOSO_DIR", stage),
        ]  # fmt: skip
    if stage == "promote":
        return ["-m", "bot", "promote", *_promote_flags(env)]
    raise InputError(f"unknown stage '{stage}'; expected one of {', '.join(STAGES)}")


def _promote_flags(env: Mapping[str, str]) -> list[str]:
    """The trusted side's one command: audit, gate and export run as its token-free children
    on ``TRAIN_PY`` (the torch venv this job built from requirements/train.lock)."""
    stage = "promote"
    argv = ["--loso-dir", _need(env, "LOSO_DIR", stage)]
    argv += ["--registry", _need(env, "REGISTRY", stage)]
    argv += ["--repo", _need(env, "REPOSITORY", stage), "--base", _need(env, "BASE", stage)]
    argv += ["--corpus", _need(env, "CORPUS", stage)]
    if env.get("CORPUS_BYTES"):
        argv += ["--corpus-bytes", env["CORPUS_BYTES"]]
    argv += ["--seeds", _need(env, "SEEDS", stage), "--epochs", _need(env, "EPOCHS", stage)]
    if env.get("AUDIT_SAMPLE", "default") != "default":
        argv += ["--audit-sample", env["AUDIT_SAMPLE"]]
    argv += ["--train-python", _need(env, "TRAIN_PY", stage)]
    # kept in the workspace: the verdict step reads it, a later step may upload the pictures
    argv += ["--work-dir", _need(env, "PROMOTE_DIR", stage)]
    if _on(env, "THRESHOLDS"):
        argv += ["--mean-plcc-threshold", _need(env, "MEAN_PLCC_MIN", stage)]
        argv += ["--plcc-spread-max", _need(env, "PLCC_SPREAD_MAX", stage)]
        argv += ["--per-seed-min", _need(env, "PER_SEED_PLCC_MIN", stage)]
        if _on(env, "ALLOW_OVERRIDE"):
            argv.append("--allow-threshold-override")
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
    if stage == "promote" and env.get("PROMOTE_DIR"):
        # absolute: the command's children run in folders of their own
        env = {**env, "PROMOTE_DIR": str(Path(env["PROMOTE_DIR"]).absolute())}
    argv = [sys.executable, *stage_argv(stage, env)]
    if stage == "train" and env.get("CORPUS_BYTES"):
        data, corpus = Path(env["CORPUS_BYTES"]), Path(_need(env, "CORPUS", stage))
        if not corpus.exists() or not os.path.samefile(data, corpus):
            copy_corpus(data, corpus)  # over the LFS pointer, or where the pin file points
        copy_corpus(data, Path(_need(env, "CORPUS_COPY", stage)))
    if stage == "promote":  # the command makes its private work dir inside this folder
        Path(_need(env, "PROMOTE_DIR", stage)).mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    os.execv(sys.executable, argv)


def copy_corpus(source: Path, dest: Path) -> None:
    """The corpus bytes at the pinned path, or beside the loso files for the upload (written
    whole or not at all)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, dest)
    print(f"flipbot: corpus bytes {source} copied to {dest}", flush=True)


def make_venv(env: Mapping[str, str]) -> Path:
    """Build (or, on the train side, reuse) the venv the step's environment names; its python."""
    folder, requirements = env.get("VENV", ""), env.get("REQUIREMENTS", "")
    if not folder or not requirements:
        raise InputError("step 'venv': VENV and REQUIREMENTS must be set; check action.yml")
    fresh = env.get("FRESH", "false") == "true"
    uv_dir = Path(env["UV_DIR"]) if env.get("UV_DIR") else None
    return ensure(Path(folder), Path(requirements), env.get("NAME", ""), uv_dir=uv_dir, fresh=fresh)
