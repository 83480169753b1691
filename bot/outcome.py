"""What one bot run did, in the words of the Action's step outputs, and the labels it reads and leaves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

STOP_LABEL = "stop-updating"  # a maintainer adds it to freeze the bot's PR
STALE_LABEL = "flipbot:stale"  # the bot adds it when a later run refuses

Operation = Literal["created", "updated", "unchanged", "closed", "refused", "dry-run", "stale"]


class PullRef(Protocol):
    """What an outcome names of a pull request (``bot.github_api.PullInfo`` has it)."""

    @property
    def number(self) -> int: ...

    @property
    def url(self) -> str: ...


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """Built by name only (``Outcome(operation="refused", ...)``)."""

    operation: Operation
    number: int | None = None
    url: str | None = None
    head_sha: str | None = None
    branch: str | None = None
    flipped: tuple[str, ...] = ()
    refusal_reason: str | None = None
    notes: tuple[str, ...] = ()  # one line each, for the log and the job summary
    base_sha: str | None = None  # the base commit the run read (not a step output)

    @classmethod
    def about(cls, operation: Operation, pull: PullRef | None, **fields: Any) -> Outcome:
        """An outcome about ``pull``: its number and url (none when there is no pull)."""
        if pull is None:
            return cls(operation=operation, **fields)
        return cls(operation=operation, number=pull.number, url=pull.url, **fields)

    def outputs(self) -> dict[str, str]:
        """The step outputs (every name always set, empty when it does not apply)."""
        return {
            "pull-request-number": "" if self.number is None else str(self.number),
            "pull-request-url": self.url or "",
            "pull-request-operation": self.operation,
            "pull-request-head-sha": self.head_sha or "",
            "pull-request-branch": self.branch or "",
            "flipped": ",".join(self.flipped),
            "refusal-reason": self.refusal_reason or "",
        }
