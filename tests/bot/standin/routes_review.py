"""Who looks at a pull request: requested reviewers and teams, assignees, the milestone.

GitHub's rules that the description leaves to prose: reviewers must be
collaborators (422 otherwise) and never the PR's author; teams must exist;
assignees without push access are silently dropped; a milestone number that
does not exist is 422 ``invalid``.
"""

from __future__ import annotations

from typing import Any

from .api import Call, Reply, Route, route, validation_failed
from .routes_pulls import find_pull, render
from .state import Pull

R = "/repos/{owner}/{repo}"


def request_reviewers(call: Call) -> Reply:
    b = call.backend
    pull = find_pull(call)
    people = [str(x) for x in call.field("reviewers", []) or []]
    teams = [str(x) for x in call.field("team_reviewers", []) or []]
    with b.issues.lock:
        if pull.user in people:
            raise validation_failed(
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": "Review cannot be requested from pull request author.",
                }
            )
        known = {c.lower() for c in b.issues.collaborators}
        if any(p.lower() not in known for p in people) or any(
            t not in b.issues.teams for t in teams
        ):
            message = (
                "Reviews may only be requested from collaborators. One or more of the users or "
                f"teams you specified is not a collaborator of the {b.site.full_name} repository."
            )
            raise validation_failed(
                {"resource": "PullRequest", "code": "custom", "message": message}
            )
        for login in people:
            if login not in pull.requested_reviewers:
                pull.requested_reviewers.append(login)
        for slug in teams:
            if slug not in pull.requested_teams:
                pull.requested_teams.append(slug)
    return Reply(201, render(call, pull, full=False))


def add_assignees(call: Call) -> Reply:
    b = call.backend
    pull = find_pull(call)
    names = [x["login"] if isinstance(x, dict) else str(x) for x in call.field("assignees", [])]
    with b.issues.lock:
        known = {c.lower() for c in b.issues.collaborators}
        for login in names:  # people without push access are silently ignored, as on GitHub
            if login.lower() in known and login not in pull.assignees:
                pull.assignees.append(login)
    labels = [b.issues.ensure_label(n) for n in pull.labels]
    return Reply(201, b.site.issue(pull, labels, len(pull.comments)))


def set_milestone(call: Call, pull: Pull) -> None:
    """``milestone`` of PATCH /issues/{n}: a number, or null to remove it."""
    if "milestone" not in (call.json or {}):
        return
    value: Any = call.field("milestone")
    if value is None:
        pull.milestone = None
        return
    found = call.backend.issues.milestones.get(int(value)) if str(value).isdigit() else None
    if found is None:
        raise validation_failed({"resource": "Issue", "code": "invalid", "field": "milestone"})
    pull.milestone = found


ROUTES: list[Route] = [
    route("POST", f"{R}/pulls/{{pull_number}}/requested_reviewers", request_reviewers),
    route("POST", f"{R}/issues/{{issue_number}}/assignees", add_assignees),
]
