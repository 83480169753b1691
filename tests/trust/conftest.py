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
