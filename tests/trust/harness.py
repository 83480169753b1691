"""One good input set built once, copied per case; runs of the bot; a snapshot of every file."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot_inputs import (
    CORPUS,
    CORPUS_BYTES,
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    install_base,
    make_verdict,
    write_inputs,
)

from bot.__main__ import execute, main
from bot.config import build_config

BASE_FILES = {
    REGISTRY: SHIPPED_REGISTRY.read_bytes(),
    "model/tiny/registry.schema.json": SCHEMA.read_bytes(),
    "README.md": b"# models\n",
    CORPUS: CORPUS_BYTES,
}
GIT_CONFIG = b"[core]\n\trepositoryformatversion = 0\n"


def build_good(folder: Path) -> Path:
    """``folder/in``: a PROMOTE of seeds 0, 1, 2 that the bot accepts, with its export."""
    write_inputs(folder / "in", make_verdict(seeds=(0, 1, 2)))
    return folder


def copy_good(good: Path, tmp_path: Path) -> Path:
    root = tmp_path / "case"
    shutil.copytree(good, root, symlinks=True)
    return root


def make_worktree(root: Path) -> Path:
    """``root/work``: a checkout with the registry, its schema, the corpus and a .git/config."""
    work = root / "work"
    for path, data in BASE_FILES.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_bytes(data)
    install_base(work)
    (work / ".git").mkdir()
    (work / ".git/config").write_bytes(GIT_CONFIG)
    return work


def snapshot(folder: Path) -> dict[str, Any]:
    """Every path under ``folder``: a link's target, or a file's sha256 (a changed tree differs)."""
    out: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = ("link", str(path.readlink()))
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def run_pr(standin: Any, root: Path, **options: Any) -> int:
    config = build_config(
        verdict_dir=str(root / "in/loso"),
        artifacts=str(root / "in/export"),
        registry=REGISTRY,
        repo=standin.repo_full_name,
        base="main",
        mode="pr",
        labels="flip",
        api_url=standin.base_url,
        env={"FLIPBOT_TOKEN": standin.token},
        **options,
    )
    return execute(replace(config, write_interval_s=0.0, backoff_s=0.01, max_wait_s=3.0))


def run_local(work: Path, root: Path, *flags: str) -> int:
    return main(
        [
            "--verdict-dir", str(root / "in/loso"),
            "--artifacts", str(root / "in/export"),
            "--registry", str(work / REGISTRY),
            "--repo", "local/flipbot",
            "--base", "main",
            *flags,
        ]
    )  # fmt: skip
