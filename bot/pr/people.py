"""Who looks at the flip PR: reviewers, assignees, milestone, and draft state.

On creation the PR gets everything the inputs ask for. On an update the bot
only adds what is missing and never takes anything away: reviewers are
requested once, at creation (re-requesting would ask people who already
reviewed to review again, and their reviews stay as they are); assignees are
added, never removed; a milestone is set only when the PR has none (a
person's choice wins); ``draft: always-true`` turns a PR that someone marked
ready back into a draft (GitHub's GraphQL mutation; REST cannot). A rerun
with the same inputs writes nothing.
"""

from __future__ import annotations

from bot.config import BotConfig
from bot.github_api import GitHubRepo, PullInfo


def on_create(api: GitHubRepo, config: BotConfig, number: int) -> None:
    conv = config.conventions
    if conv.reviewers or conv.team_reviewers:
        api.request_reviewers(number, conv.reviewers, conv.team_reviewers)
    if conv.assignees:
        api.add_assignees(number, conv.assignees)
    if conv.milestone is not None:
        api.set_milestone(number, conv.milestone)


def on_update(api: GitHubRepo, config: BotConfig, pull: PullInfo) -> bool:
    """Add what is missing; True when anything was written."""
    conv, wrote = config.conventions, False
    missing = [a for a in conv.assignees if a.lower() not in {x.lower() for x in pull.assignees}]
    if missing:
        api.add_assignees(pull.number, missing)
        wrote = True
    if conv.milestone is not None and pull.milestone is None:
        api.set_milestone(pull.number, conv.milestone)
        wrote = True
    if config.draft_always and not pull.draft:
        api.convert_to_draft(pull.number)
        wrote = True
    return wrote
