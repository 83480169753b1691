"""In-memory issue/pull-request state (git objects live in the bare repo)."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime


def now() -> str:
    return datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str = ""  # the pull-request-simple schema does not allow null here


@dataclass
class Comment:
    id: int
    body: str
    user: str
    created_at: str
    updated_at: str


@dataclass
class Milestone:
    number: int
    id: int
    title: str
    created_at: str = field(default_factory=now)


@dataclass
class Pull:
    """A pull request and the issue that carries its labels and comments."""

    number: int
    id: int
    title: str
    body: str | None
    head: str  # branch name in this repository
    base: str
    user: str
    draft: bool = False
    state: str = "open"
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    closed_at: str | None = None
    labels: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    # head sha frozen when the PR is closed (GitHub keeps showing it after the branch goes)
    closed_head_sha: str | None = None
    merged_at: str | None = None  # set when the base branch came to contain the head
    assignees: list[str] = field(default_factory=list)
    requested_reviewers: list[str] = field(default_factory=list)  # logins
    requested_teams: list[str] = field(default_factory=list)  # team slugs
    milestone: Milestone | None = None
    reviews: list[tuple[str, str]] = field(default_factory=list)  # (login, state) by people


class IssueState:
    """Pulls, repository labels and comments; guarded by one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.pulls: dict[int, Pull] = {}
        self.labels: dict[str, Label] = {}  # key: lower-cased name (GitHub is case-insensitive)
        self.milestones: dict[int, Milestone] = {}
        # Who may be requested as a reviewer or assigned (people with push access), and the teams.
        self.collaborators: set[str] = {"octohuman"}
        self.teams: set[str] = set()
        self._numbers = itertools.count(1)
        self._ids = itertools.count(1000)

    def next_id(self) -> int:
        return next(self._ids)

    def add_pull(self, **kwargs: object) -> Pull:
        with self.lock:
            pull = Pull(number=next(self._numbers), id=self.next_id(), **kwargs)  # type: ignore[arg-type]
            self.pulls[pull.number] = pull
            return pull

    def label(self, name: str) -> Label | None:
        return self.labels.get(name.lower())

    def ensure_label(self, name: str, color: str = "ededed", description: str = "") -> Label:
        """The repository label, created on first use (GitHub does this for issue labels)."""
        with self.lock:
            existing = self.label(name)
            if existing:
                return existing
            label = Label(self.next_id(), name, color, description)
            self.labels[name.lower()] = label
            return label

    def add_comment(self, pull: Pull, body: str, user: str) -> Comment:
        with self.lock:
            stamp = now()
            comment = Comment(self.next_id(), body, user, stamp, stamp)
            pull.comments.append(comment)
            return comment
