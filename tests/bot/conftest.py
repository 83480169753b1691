"""Fixtures for the bot's tests: a GitHub REST stand-in per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture
def github_standin_factory(tmp_path: Path) -> Iterator[Callable[..., GitHubStandin]]:
    """Make stand-ins with other settings: ``factory(owner="acme", repo="zoo", default_branch="trunk")``.

    Every one made is stopped and checked for OpenAPI problems at teardown.
    """
    made: list[GitHubStandin] = []

    def make(**kwargs: Any) -> GitHubStandin:
        standin = GitHubStandin(tmp_path / f"github{len(made)}", **kwargs).start()
        made.append(standin)
        return standin

    yield make
    for standin in made:
        standin.stop()
    for standin in made:
        standin.assert_valid()
