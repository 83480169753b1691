"""Fixtures for the bot's tests: a GitHub REST stand-in per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from standin import GitHubStandin


@pytest.fixture
def github_standin(tmp_path: Path) -> Iterator[GitHubStandin]:
    """A running stand-in (empty repo ``octo/models``, branch ``main`` not yet created).

    Seed it with ``github_standin.seed({path: bytes})``. Teardown stops the server
    and fails the test if any request or response broke GitHub's OpenAPI description.
    """
    standin = GitHubStandin(tmp_path / "github").start()
    try:
        yield standin
    finally:
        standin.stop()
    standin.assert_valid()
