"""Verdict pins: the exact loso file bytes, the corpus, the commit and the tool versions."""

from __future__ import annotations

import hashlib
import platform
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import scipy
from loso_writer import CORPUS_SHA, write_run

from flipbot.provenance import git_commit
from gate.verdict import judge


@pytest.fixture(autouse=True)
def _no_github_sha(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_SHA", raising=False)


def test_pins_hash_every_loso_file_and_copy_the_corpus_identity(tmp_path: Path) -> None:
    loso = write_run(tmp_path / "loso", {0: 0.99, 1: 0.991})
    pins = judge(loso, (0, 1), cwd=tmp_path).pins
    assert pins.loso_files == {
        name: hashlib.sha256((loso / name).read_bytes()).hexdigest()
        for name in ("loso_seed0.json", "loso_seed1.json")
    }
    assert pins.corpus == "corpus/flipbot_corpus_v1.jsonl.gz"
    assert pins.corpus_sha256 == CORPUS_SHA
    assert pins.versions == {
        "flipbot": "0.1.0",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


def test_github_sha_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SHA", "f" * 40)
    assert git_commit(tmp_path) == "f" * 40


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")
def test_commit_of_the_repository_in_the_working_directory(tmp_path: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        [*git, "-C", str(tmp_path), "commit", "-q", "--allow-empty", "-m", "x"], check=True
    )
    head = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert len(head) == 40 and git_commit(tmp_path) == head


def test_no_repository_gives_null(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert git_commit(tmp_path) is None
