"""The git and pull-request objects the lifecycle reasons about, as plain frozen dataclasses."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree_sha: str
    parents: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class TreeEntry:
    path: str
    mode: str
    type: str  # "blob" | "tree" | "commit"
    sha: str


@dataclass(frozen=True)
class PullInfo:
    number: int
    url: str  # html_url
    title: str
    body: str
    labels: tuple[str, ...]
    head_sha: str
    draft: bool = False
    assignees: tuple[str, ...] = ()  # logins
    milestone: int | None = None  # number


def git_blob_sha(data: bytes) -> str:
    """The sha git (and GitHub) gives a blob with these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
