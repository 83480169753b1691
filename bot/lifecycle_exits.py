"""The lifecycle's early exits: commits by people, a flip the base already holds, a refusal.

Each writes as little as it can: a comment (once per branch head or verdict,
found again by a hidden marker), a label, and, only for a finished flip, the
PR close and the branch delete.
"""

from __future__ import annotations

from bot.config import STALE_LABEL, BotConfig
from bot.flip import Flip
from bot.git_objects import CommitInfo, PullInfo
from bot.github_api import GitHubRepo
from bot.outcome import Operation, Outcome

TRAILER = "Flipbot-Verdict"  # the bot's commits carry "Flipbot-Verdict: <verdict sha256>"
HUMAN_MARKER = "<!-- flipbot:human-commits {} -->"
STALE_MARKER = "<!-- flipbot:stale {} -->"


def is_bot_commit(commit: CommitInfo) -> bool:
    return any(line.startswith(f"{TRAILER}: ") for line in commit.message.splitlines())


def branch_commits(api: GitHubRepo, head_sha: str, pull: PullInfo | None) -> list[CommitInfo]:
    """The branch's commits that the base lacks.

    With an open PR GitHub lists them; without one (a run died before
    creating it) only the head is read: the bot only ever writes one commit
    straight on a base commit, so a head without the trailer is someone else's.
    """
    if pull is not None:
        return api.pull_commits(pull.number)
    return [api.commit(head_sha)]


def leave_human_commits(
    config: BotConfig,
    flip: Flip,
    api: GitHubRepo,
    pull: PullInfo | None,
    head_sha: str,
    human: list[str],
) -> Outcome:
    """Never force-push over someone's commits: say so on the PR, once per branch head."""
    note = f"'{config.branch}' holds commits not made by flipbot ({', '.join(s[:12] for s in human)}): not updated"
    if pull is not None:
        marker = HUMAN_MARKER.format(head_sha)
        if not any(marker in c for c in api.comments(pull.number)):
            api.comment(
                pull.number,
                f"{marker}\nflipbot did not update this branch: it holds commits that flipbot did not make "
                f"({', '.join(f'`{s[:12]}`' for s in human)}), and flipbot never force-pushes over them. "
                f"A newer flip is ready (verdict `{flip.verdict_sha256[:12]}`). To let flipbot rebuild the "
                f"branch from `{config.base}`, close this PR and delete the branch, or drop those commits.",
            )
    return Outcome(
        "unchanged",
        pull.number if pull else None,
        pull.url if pull else None,
        head_sha,
        config.branch,
        flip.flipped_ids,
        notes=(note,),
    )


def close_done(
    config: BotConfig, flip: Flip, api: GitHubRepo, pull: PullInfo | None, head_sha: str | None
) -> Outcome:
    """The base already holds the flip: close the bot PR with the reason and delete its branch."""
    notes = [f"{config.base} already holds this flip (registry rows and files match)"]
    bot_only = head_sha is not None and all(
        is_bot_commit(c) for c in branch_commits(api, head_sha, pull)
    )
    if pull is not None:
        api.comment(
            pull.number,
            f"Closing: `{config.base}` already holds this flip (the registry rows have the exported "
            "sha256 and `smoke: false`, and the files match), so this PR has nothing left to do.",
        )
        api.edit_pull(pull.number, state="closed")
    if bot_only:
        api.delete_ref(config.branch)
    elif head_sha is not None:
        notes.append(f"'{config.branch}' holds commits not made by flipbot: branch kept")
    operation: Operation = "closed" if pull is not None or bot_only else "unchanged"
    number, url = (pull.number, pull.url) if pull else (None, None)
    return Outcome(
        operation, number, url, None, config.branch, flip.flipped_ids, notes=tuple(notes)
    )


def mark_stale(config: BotConfig, flip: Flip, api: GitHubRepo) -> Outcome:
    """A refusal writes nothing but, on an open bot PR, one comment and one label."""
    reason = flip.verdict.refusal_reason or "no seed cleared the gate"
    pull = api.find_pull(config.branch, config.base)
    if pull is None:
        return Outcome("refused", branch=config.branch, refusal_reason=reason)
    if STALE_LABEL not in pull.labels:
        marker = STALE_MARKER.format(flip.verdict_sha256)
        api.comment(
            pull.number,
            f"{marker}\n**Stale:** a newer flipbot run refused to flip: {reason} "
            "The numbers in this PR are out of date; do not merge it as it is.",
        )
        api.add_labels(pull.number, [STALE_LABEL])
    return Outcome(
        "stale", pull.number, pull.url, pull.head_sha, config.branch, refusal_reason=reason
    )
