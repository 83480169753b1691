"""Moving (or deleting) the flip branch without losing anyone's commit (SPEC §9).

GitHub's REST API has no compare-and-swap for a forced ref update: ``PATCH
git/refs/heads/B`` with ``force: true`` (and ``DELETE``) moves the ref whatever
it points at by then. So every move of the bot's branch goes through here:

1. re-read the head immediately before the write; if it is not the head the
   lifecycle decided on, write nothing (a person pushed meanwhile);
2. write;
3. ask "List repository activities" (``GET /activity?ref=``) which sha the
   write replaced. If it is not the expected head, someone pushed inside the
   window between 1 and 2: that commit is restored on ``flipbot/rescue/<sha12>``
   and the PR says so. Where the endpoint is missing (older GitHub Enterprise
   Server: 404/403) a warning says the check could not be made.

The window left between the re-read's answer and the write's arrival is
measured in docs/LIFECYCLE.md: stand-in 10-16 ms median, 30 ms at most on a
loaded 2-core machine (PyGithub's own processing); real GitHub adds one network
round trip (~20-60 ms from a hosted runner, estimated). PyGithub's pause between
writes is taken before the re-read (``settle_writes``), not inside the window.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.github_api import GitHubError, GitHubRepo

RESCUE_PREFIX = "flipbot/rescue/"
RESCUE_MARKER = "<!-- flipbot:rescued {} -->"


@dataclass(frozen=True)
class Move:
    written: bool  # False: the head had moved since the decision; nothing was written
    head: str | None  # the head found by the re-read
    notes: tuple[str, ...] = ()  # for the outcome (log, annotations, job summary)
    comments: tuple[str, ...] = ()  # for the PR, once there is one
    rescued: str | None = None  # the rescue branch made for an overwritten commit


def rescue_branch(sha: str) -> str:
    return f"{RESCUE_PREFIX}{sha[:12]}"


def move_branch(api: GitHubRepo, branch: str, expected: str, new: str | None) -> Move:
    """Move ``branch`` from ``expected`` to ``new`` (None: delete it), or write nothing."""
    api.settle_writes()
    head = api.ref_sha(branch)  # the last read: the window starts when it is answered
    if head != expected:
        found = head[:12] if head else "deleted"
        return Move(
            False,
            head,
            notes=(
                f"'{branch}' moved from {expected[:12]} to {found} while flipbot was working: "
                "not updated (the next run decides again on what it then finds)",
            ),
        )
    if new is None:
        api.delete_ref(branch)
    else:
        api.force_ref(branch, new)
    return _check_overwritten(api, branch, expected, new)


def _check_overwritten(api: GitHubRepo, branch: str, expected: str, new: str | None) -> Move:
    after = new or "0" * 40
    try:
        activity = api.ref_activity(branch, after)
    except GitHubError as exc:
        if exc.status not in (403, 404):
            raise
        return Move(
            True,
            expected,
            notes=(
                f"could not check what the write to '{branch}' replaced: GitHub answered "
                f"{exc.status} to 'List repository activities' (GitHub Enterprise Server before "
                "the endpoint existed, or a token without read access to it); a commit pushed "
                "in the moment before the write would not be noticed",
            ),
        )
    if activity is None:
        return Move(
            True,
            expected,
            notes=(
                f"GitHub has not listed the write to '{branch}' in the repository activity yet: "
                "could not confirm that it replaced only flipbot's own commit",
            ),
        )
    if activity.before in (expected, "0" * 40) or activity.activity_type == "push":
        return Move(True, expected)  # replaced what we checked, or a fast-forward: nothing lost
    lost = activity.before
    rescue = rescue_branch(lost)
    api.create_ref(rescue, lost)
    note = (
        f"'{branch}' received commit {lost[:12]} just before flipbot's write replaced it; "
        f"it is kept on the branch '{rescue}'"
    )
    comment = (
        f"{RESCUE_MARKER.format(lost)}\n**A commit was pushed to `{branch}` in the moment before "
        f"flipbot updated it** (`{lost[:12]}`, after flipbot's last check of the branch). GitHub "
        f"cannot make that update conditional, so flipbot restored the commit on the branch "
        f"`{rescue}`: nothing is lost. To keep it here, add the `stop-updating` label and "
        f"cherry-pick it from `{rescue}` onto this branch, or push it again."
    )
    return Move(True, expected, notes=(note,), comments=(comment,), rescued=rescue)
