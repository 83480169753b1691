"""The lifecycle's early exits: a frozen PR, commits by people, a moved head, a flip the
base already holds, a refusal.

Each writes as little as it can: a comment (once per branch head or verdict,
found again by a hidden marker), a label, and, only for a finished flip, the
PR close and the branch delete (through :mod:`bot.pr.branch_guard`). A PR with the
``stop-updating`` label gets none of these: the label is a maintainer's
"hands off", and it wins over updating, closing and marking stale alike (the
refusal still fails the job and is reported in the job summary).
"""

from __future__ import annotations

from bot.config import BotConfig
from bot.flip import Flip
from bot.github_api import CommitInfo, Comparison, GitHubRepo, PullInfo
from bot.outcome import STALE_LABEL, STOP_LABEL, Operation, Outcome
from bot.pr.branch_guard import move_branch
from flipbot.verdict_file import NO_SEED_CLEARED

TRAILER = "Flipbot-Verdict"  # the bot's commits carry "Flipbot-Verdict: <verdict sha256>"
HUMAN_MARKER = "<!-- flipbot:human-commits {} -->"
STALE_MARKER = "<!-- flipbot:stale {} -->"


def is_bot_commit(commit: CommitInfo, config: BotConfig) -> bool:
    """Made by flipbot: its author AND committer identity, and the trailer (the shape is
    checked on the whole branch by :func:`foreign_commits`)."""
    return (
        commit.author == config.author
        and commit.committer == config.committer
        and any(line.startswith(f"{TRAILER}: ") for line in commit.message.splitlines())
    )


def foreign_commits(config: BotConfig, comparison: Comparison, head_sha: str) -> list[str]:
    """The branch commits flipbot did not make; empty only for flipbot's own shape:
    exactly one commit (the head), by the bot, whose single parent is on the base branch."""
    commits = comparison.commits
    foreign = [c.sha for c in commits if not is_bot_commit(c, config)]
    shaped = (
        comparison.ahead_by == 1
        and len(commits) == 1
        and commits[0].sha == head_sha
        and commits[0].parents == (comparison.merge_base,)
    )
    if foreign or shaped:
        return foreign
    return [c.sha for c in commits] or [head_sha]


def frozen(config: BotConfig, flip: Flip, pull: PullInfo) -> Outcome:
    """``stop-updating``: no write of any kind, whatever the verdict or the base say."""
    refused = flip.verdict.refused or not flip.changes
    reason = (flip.verdict.refusal_reason or NO_SEED_CLEARED) if refused else None
    what = "not marked stale" if refused else "left as it is"
    return Outcome.about(
        "refused" if refused else "unchanged",
        pull,
        head_sha=pull.head_sha,
        branch=config.branch,
        flipped=() if refused else flip.flipped_ids,
        refusal_reason=reason,
        notes=(f"#{pull.number} has the '{STOP_LABEL}' label: {what}",),
    )


def head_moved(
    config: BotConfig,
    flip: Flip,
    pull: PullInfo | None,
    expected: str,
    found: str | None,
    notes: tuple[str, ...] = (),
) -> Outcome:
    """The branch changed between the lifecycle's reads and its ref write: nothing written."""
    note = notes or (
        f"'{config.branch}' changed while flipbot was working (expected "
        f"{expected[:12]}, found {found[:12] if found else 'none'}): not updated; rerun the job",
    )
    return Outcome.about(
        "unchanged",
        pull,
        head_sha=found,
        branch=config.branch,
        flipped=flip.flipped_ids,
        notes=note,
    )


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
    return Outcome.about(
        "unchanged",
        pull,
        head_sha=head_sha,
        branch=config.branch,
        flipped=flip.flipped_ids,
        notes=(note,),
    )


def close_done(
    config: BotConfig,
    flip: Flip,
    api: GitHubRepo,
    pull: PullInfo | None,
    head_sha: str | None,
    base_sha: str,
) -> Outcome:
    """The base already holds the flip: close the bot PR with the reason and delete its branch."""
    notes = [f"{config.base} already holds this flip (registry rows and files match)"]
    bot_only = head_sha is not None and not foreign_commits(
        config, api.compare(base_sha, head_sha), head_sha
    )
    if pull is not None:
        api.comment(
            pull.number,
            f"Closing: `{config.base}` already holds this flip (the registry rows have the exported "
            "sha256 and `smoke: false`, and the files match), so this PR has nothing left to do.",
        )
        api.edit_pull(pull.number, state="closed")
    deleted = False
    if bot_only and head_sha is not None:  # bot_only: the branch exists, flipbot's alone
        move = move_branch(api, config.branch, head_sha, None)
        notes += move.notes
        deleted = move.written
        if pull is not None:
            for comment in move.comments:
                api.comment(pull.number, comment)
    elif head_sha is not None:
        notes.append(f"'{config.branch}' holds commits not made by flipbot: branch kept")
    operation: Operation = "closed" if pull is not None or deleted else "unchanged"
    return Outcome.about(
        operation,
        pull,
        head_sha=None,
        branch=config.branch,
        flipped=flip.flipped_ids,
        notes=tuple(notes),
    )


def mark_stale(config: BotConfig, flip: Flip, api: GitHubRepo, pull: PullInfo | None) -> Outcome:
    """A refusal writes nothing but, on an open bot PR, one comment and one label."""
    reason = flip.verdict.refusal_reason or NO_SEED_CLEARED
    if pull is None:
        return Outcome(operation="refused", branch=config.branch, refusal_reason=reason)
    if STALE_LABEL not in pull.labels:
        marker = STALE_MARKER.format(flip.verdict_sha256)
        api.comment(
            pull.number,
            f"{marker}\n**Stale:** a newer flipbot run refused to flip: {reason} "
            "The numbers in this PR are out of date; do not merge it as it is.",
        )
        api.add_labels(pull.number, [STALE_LABEL])
    return Outcome.about(
        "stale",
        pull,
        head_sha=pull.head_sha,
        branch=config.branch,
        refusal_reason=reason,
    )
