"""Fixtures of the adversarial suite: the bot's input builders and the GitHub stand-in."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))

from standin import GitHubStandin


@pytest.fixture
def github_standin(tmp_path: Path) -> Iterator[GitHubStandin]:
    """A running stand-in (repo ``octo/models``), checked against GitHub's OpenAPI at teardown."""
    standin = GitHubStandin(tmp_path / "github").start()
    try:
        yield standin
    finally:
        standin.stop()
    standin.assert_valid()


@pytest.fixture(scope="session")
def promote_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Path]:
    """The small corpus's bytes and honest loso files of it (trained once per session)."""
    from promote_repo import make_corpus, train_loso

    folder = tmp_path_factory.mktemp("promote")
    data = make_corpus(folder / "small.jsonl.gz")
    return data, train_loso(folder / "small.jsonl.gz", folder / "loso")


@pytest.fixture
def promote_case(
    promote_inputs: tuple[bytes, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """(repository, loso folder): a fresh repository (the cwd) and a copy of the honest files."""
    import shutil

    from promote_repo import make_repo

    data, honest = promote_inputs
    repo = make_repo(tmp_path / "repo", data)
    loso = tmp_path / "gpu"
    shutil.copytree(honest, loso)
    monkeypatch.chdir(repo)
    return repo, loso
