"""A small repository for ``bot promote``: registry, member placeholders, a pinned small corpus.

Honest loso files come from the real trainer (``trainer.loso.run_loso``) on a
synthetic corpus of 3 sources, a few epochs, so the audit can re-derive them;
``edit_loso`` rewrites one file the way a compromised runner would.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from bot.__main__ import main
from flipbot.corpus import load_corpus
from flipbot.jsonfile import write_json
from trainer.loso import run_loso
from trainer.recipe import Recipe
from trainer.synthetic import synthetic_rows, write_corpus

ROOT = Path(__file__).resolve().parents[2]
CORPUS = "corpus/small.jsonl.gz"
REGISTRY = "model/tiny/registry.json"
SEEDS = (0, 1)
EPOCHS = 200
ROWS, SOURCES = 1200, 3
# 1,200 rows and 200 epochs: seeds at PLCC 0.997 that clear ADR-0303's gate, members the
# verifier's behaviour check accepts, in about 10 s of training per stage.


def make_corpus(path: Path, seed: int = 0) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_corpus(path, synthetic_rows(ROWS, SOURCES, seed=seed))
    return path.read_bytes()


def train_loso(
    corpus_file: Path, out: Path, *, as_path: str = CORPUS, epochs: int = EPOCHS
) -> Path:
    """Honest loso files of SEEDS, their 'corpus' field the repository path ``as_path``."""
    corpus = dataclasses.replace(load_corpus(corpus_file), path=as_path)
    out.mkdir(parents=True, exist_ok=True)
    for art in run_loso(corpus, list(SEEDS), Recipe(epochs=epochs), torch.device("cpu")):
        art.write(out)
    return out


def make_repo(root: Path, corpus_bytes: bytes, form: str = "committed") -> Path:
    """A git repository: the shipped registry and placeholders, the corpus in ``form``."""
    shutil.copytree(ROOT / "model", root / "model")
    target = root / CORPUS
    target.parent.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256(corpus_bytes).hexdigest()
    if form == "committed":
        target.write_bytes(corpus_bytes)
    elif form == "lfs":
        target.write_text(
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(corpus_bytes)}\n"
        )
    elif form == "pin":
        Path(f"{target}.sha256").write_text(f"{sha}  {target.name}\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    return root


def edit_loso(folder: Path, seed: int, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / f"loso_seed{seed}.json"
    doc = json.loads(path.read_text())
    change(doc)
    write_json(path, doc)


def promote(loso: Path, *flags: str, mode: str = "--apply-local") -> int:
    """``python -m bot promote`` in the current folder (the repository root)."""
    return main(
        [
            "promote", "--loso-dir", str(loso), "--seeds", ",".join(map(str, SEEDS)),
            "--corpus", CORPUS, "--epochs", str(EPOCHS), "--registry", REGISTRY,
            "--repo", "local/models", "--base", "main", mode, *flags,
        ]
    )  # fmt: skip
