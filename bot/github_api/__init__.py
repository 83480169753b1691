"""Everything the bot asks of GitHub; only :mod:`bot.github_api.repo` imports PyGithub.

The names the rest of the bot may use; everything else is private to the package.
"""

from __future__ import annotations

from bot.github_api.errors import GitHubError
from bot.github_api.git_objects import (
    BOT_IDENTITY,
    CommitInfo,
    Comparison,
    Identity,
    PullInfo,
    TreeEntry,
    git_blob_sha,
)
from bot.github_api.repo import GitHubRepo

__all__ = [
    "BOT_IDENTITY",
    "CommitInfo",
    "Comparison",
    "GitHubError",
    "GitHubRepo",
    "Identity",
    "PullInfo",
    "TreeEntry",
    "git_blob_sha",
]
