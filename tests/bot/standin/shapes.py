"""JSON bodies in GitHub's response shapes (the required fields of the OpenAPI schemas).

``Site`` builds every body of one repository; its parts live in shapes_repo
(users, repository, contents) and shapes_git (Git Data, commits, branches).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .shapes_git import GitShapes
from .shapes_repo import node_id
from .state import Comment, Label, Milestone, Pull

DOCS = "https://docs.github.com/rest"


class Site(GitShapes):
    """Every JSON body of one repository of the stand-in."""

    def label(self, label: Label) -> dict[str, Any]:
        return {
            "id": label.id,
            "node_id": node_id("LA", label.id),
            "url": f"{self.api}/labels/{quote(label.name, safe='')}",
            "name": label.name,
            "description": label.description,
            "color": label.color,
            "default": False,
        }

    def milestone(self, m: Milestone) -> dict[str, Any]:
        return {
            "url": f"{self.api}/milestones/{m.number}",
            "html_url": f"{self.html}/milestone/{m.number}",
            "labels_url": f"{self.api}/milestones/{m.number}/labels",
            "id": m.id,
            "node_id": node_id("MI", m.id),
            "number": m.number,
            "state": "open",
            "title": m.title,
            "description": None,
            "creator": self.user(self.owner),
            "open_issues": 1,
            "closed_issues": 0,
            "created_at": m.created_at,
            "updated_at": m.created_at,
            "closed_at": None,
            "due_on": None,
        }

    def team(self, slug: str) -> dict[str, Any]:
        team_id = sum(map(ord, slug)) + 7000
        url = f"{self.base_url}/organizations/583231/team/{team_id}"
        return {
            "id": team_id,
            "node_id": node_id("T", team_id),
            "url": url,
            "members_url": f"{url}/members{{/member}}",
            "name": slug,
            "description": None,
            "permission": "pull",
            "privacy": "closed",
            "html_url": f"https://github.com/orgs/{self.owner}/teams/{slug}",
            "repositories_url": f"{url}/repos",
            "slug": slug,
            "type": "organization",
            "parent": None,  # the "team" schema (list answers) requires it; "team-simple" allows it
        }

    def comment(self, number: int, c: Comment) -> dict[str, Any]:
        return {
            "id": c.id,
            "node_id": node_id("IC", c.id),
            "url": f"{self.api}/issues/comments/{c.id}",
            "html_url": f"{self.html}/pull/{number}#issuecomment-{c.id}",
            "issue_url": f"{self.api}/issues/{number}",
            "body": c.body,
            "user": self.user(c.user),
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "author_association": "NONE",
        }

    def _issue_common(self, p: Pull, labels: list[Label]) -> dict[str, Any]:
        return {
            "id": p.id,
            "node_id": node_id("PR", p.number),
            "number": p.number,
            "state": p.state,
            "locked": False,
            "title": p.title,
            "body": p.body,
            "user": self.user(p.user),
            "labels": [self.label(label) for label in labels],
            "assignee": self.user(p.assignees[0]) if p.assignees else None,
            "assignees": [self.user(login) for login in p.assignees],
            "milestone": self.milestone(p.milestone) if p.milestone else None,
            "created_at": p.created_at,
            "updated_at": p.updated_at,
            "closed_at": p.closed_at,
            "author_association": "NONE",
        }

    def issue(self, p: Pull, labels: list[Label], comments: int) -> dict[str, Any]:
        body = self._issue_common(p, labels)
        body.update(
            url=f"{self.api}/issues/{p.number}",
            repository_url=self.api,
            labels_url=f"{self.api}/issues/{p.number}/labels{{/name}}",
            comments_url=f"{self.api}/issues/{p.number}/comments",
            events_url=f"{self.api}/issues/{p.number}/events",
            html_url=f"{self.html}/pull/{p.number}",
            comments=comments,
            draft=p.draft,
            pull_request={
                "url": f"{self.api}/pulls/{p.number}",
                "html_url": f"{self.html}/pull/{p.number}",
                "diff_url": f"{self.html}/pull/{p.number}.diff",
                "patch_url": f"{self.html}/pull/{p.number}.patch",
                "merged_at": p.merged_at,
            },
        )
        return body

    def pull(
        self, p: Pull, labels: list[Label], *, full: bool, extra: dict[str, Any]
    ) -> dict[str, Any]:
        """``extra``: head/base shas, repo dict, counts (commits, comments, ...)."""
        a, n = self.api, p.number
        body = self._issue_common(p, labels)
        link = {
            "self": f"{a}/pulls/{n}",
            "html": f"{self.html}/pull/{n}",
            "issue": f"{a}/issues/{n}",
            "comments": f"{a}/issues/{n}/comments",
            "review_comments": f"{a}/pulls/{n}/comments",
            "review_comment": f"{a}/pulls/comments{{/number}}",
            "commits": f"{a}/pulls/{n}/commits",
            "statuses": f"{a}/statuses/{extra['head_sha']}",
        }
        owner = self.user(self.owner, 583231, "Organization")
        body.update(
            url=link["self"],
            html_url=link["html"],
            issue_url=link["issue"],
            comments_url=link["comments"],
            review_comments_url=link["review_comments"],
            review_comment_url=link["review_comment"],
            commits_url=link["commits"],
            statuses_url=link["statuses"],
            diff_url=f"{self.html}/pull/{n}.diff",
            patch_url=f"{self.html}/pull/{n}.patch",
            _links={k: {"href": v} for k, v in link.items()},
            draft=p.draft,
            merged_at=p.merged_at,
            merge_commit_sha=p.closed_head_sha if p.merged_at else None,
            auto_merge=None,
            requested_reviewers=[self.user(login) for login in p.requested_reviewers],
            requested_teams=[self.team(slug) for slug in p.requested_teams],
            active_lock_reason=None,
            head={
                "label": f"{self.owner}:{p.head}",
                "ref": p.head,
                "sha": extra["head_sha"],
                "user": owner,
                "repo": extra["repo"],
            },
            base={
                "label": f"{self.owner}:{p.base}",
                "ref": p.base,
                "sha": extra["base_sha"],
                "user": owner,
                "repo": extra["repo"],
            },
        )
        if full:
            body.update(
                merged=p.merged_at is not None,
                mergeable=p.merged_at is None,
                rebaseable=True,
                mergeable_state="clean",
                merged_by=None,
                comments=extra["comments"],
                review_comments=0,
                maintainer_can_modify=False,
                commits=extra["commits"],
                additions=extra["additions"],
                deletions=extra["deletions"],
                changed_files=extra["changed_files"],
            )
        return body


def error_body(
    message: str, status: int, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "documentation_url": DOCS, "status": str(status)}
    if errors is not None:
        body["errors"] = errors
    return body
