"""The git and pull-request objects the lifecycle reasons about, as plain frozen dataclasses."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from flipbot.errors import InputError

_IDENTITY = re.compile(r"^([^<>\n]*[^<>\s])\s*<([^<>\s@]+@[^<>\s@]+)>$")


@dataclass(frozen=True)
class Identity:
    """A git author or committer: ``Name <email>`` (create-pull-request's input format)."""

    name: str
    email: str

    @classmethod
    def parse(cls, text: str, where: str) -> Identity:
        match = _IDENTITY.match(text.strip())
        if match is None:
            raise InputError(
                f"{where} '{text}' is not 'Name <email>'; pass e.g. "
                "'flipbot[bot] <flipbot[bot]@users.noreply.github.com>'"
            )
        return cls(match[1], match[2])

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


# The identity flipbot writes its commits with, author and committer alike. A commit on the
# flip branch is the bot's only if both match (plus the trailer and the one-commit shape).
BOT_IDENTITY = Identity("flipbot[bot]", "flipbot[bot]@users.noreply.github.com")


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree_sha: str
    parents: tuple[str, ...]
    message: str
    author: Identity | None = None  # None where the listing did not say
    committer: Identity | None = None


@dataclass(frozen=True)
class Comparison:
    """``base...head``: the commits head has that base lacks (oldest first) and their merge base."""

    merge_base: str
    commits: tuple[CommitInfo, ...]
    ahead_by: int  # may exceed len(commits) when GitHub truncates the list


@dataclass(frozen=True)
class RefActivity:
    """One entry of "List repository activities": a ref moved from ``before`` to ``after``."""

    before: str
    after: str
    activity_type: str  # push, force_push, branch_creation, branch_deletion, ...


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
