"""GitHub's error answers, explained: what failed, what GitHub said, what to change.

Kept apart from :mod:`bot.github_api.repo` (the only PyGithub importer) so the
explanations are plain functions of a status and a message.
"""

from __future__ import annotations

from flipbot.errors import InputError

CONTENTS = "contents: write"
PULLS = "pull-requests: write"
NOT_PERMITTED = "not permitted to create or approve pull requests"


class GitHubError(InputError):
    """A GitHub request failed; the message names the action and the fix."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def explain(status: int, text: str, action: str, permission: str) -> GitHubError:
    """One sentence: what failed, what GitHub said, and what to change."""
    said = f"{action}: GitHub answered {status} ({text or 'no message'})"
    if status == 403 and NOT_PERMITTED in text.lower():
        fix = (
            "enable 'Allow GitHub Actions to create and approve pull requests' under Settings > Actions > "
            "General > Workflow permissions (repository, or organisation if it is greyed out), or use a "
            "GitHub App token in FLIPBOT_TOKEN"
        )
    elif status == 401:
        fix = "the token is invalid or expired; set a valid FLIPBOT_TOKEN or GITHUB_TOKEN"
    elif status == 403 and "rate limit" in text.lower():
        fix = "the rate limit outlasted the bounded wait; rerun the job later"
    elif status in (403, 404):
        fix = (
            f"the token lacks '{permission}' (add `permissions: {{{permission}}}` to the job) or cannot "
            "see the repository; check --repo and the token's access"
        )
    elif status == 429:
        fix = "rate limited beyond the bounded wait; rerun the job later"
    elif status >= 500:
        fix = "GitHub kept failing after bounded retries; rerun the job later (githubstatus.com)"
    else:
        fix = "check the inputs named above"
    return GitHubError(f"{said}; {fix}", status)
