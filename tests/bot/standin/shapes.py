"""JSON bodies in GitHub's response shapes (the required fields of the OpenAPI schemas).

Every URL points back at the stand-in so PyGithub's follow-up requests (it
reuses the ``url`` fields it is given) land on the same server.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from .gitstore import CommitObject, Signature, TreeEntry
from .state import Comment, Label, Pull

EPOCH = "2026-01-01T00:00:00Z"
DOCS = "https://docs.github.com/rest"


def node_id(kind: str, key: object) -> str:
    digest = hashlib.sha1(f"{kind}:{key}".encode()).digest()[:12]
    return f"{kind}_" + base64.b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class Site:
    """Where the stand-in lives: builds every URL of one repository."""

    base_url: str  # "http://127.0.0.1:PORT"
    owner: str
    repo: str
    repo_id: int = 1296269

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    @property
    def api(self) -> str:
        return f"{self.base_url}/repos/{self.full_name}"

    @property
    def html(self) -> str:
        return f"https://github.com/{self.full_name}"

    def user(self, login: str, user_id: int = 1, kind: str = "User") -> dict[str, Any]:
        u = f"{self.base_url}/users/{login}"
        return {
            "login": login,
            "id": user_id,
            "node_id": node_id("U", login),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
            "gravatar_id": "",
            "url": u,
            "html_url": f"https://github.com/{login}",
            "followers_url": f"{u}/followers",
            "following_url": f"{u}/following{{/other_user}}",
            "gists_url": f"{u}/gists{{/gist_id}}",
            "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{u}/subscriptions",
            "organizations_url": f"{u}/orgs",
            "repos_url": f"{u}/repos",
            "events_url": f"{u}/events{{/privacy}}",
            "received_events_url": f"{u}/received_events",
            "type": kind,
            "site_admin": False,
        }

    def repository(
        self, default_branch: str, open_issues: int, *, full: bool = False
    ) -> dict[str, Any]:
        a = self.api
        templated = {
            "archive_url": "/{archive_format}{/ref}",
            "assignees_url": "/assignees{/user}",
            "blobs_url": "/git/blobs{/sha}",
            "branches_url": "/branches{/branch}",
            "collaborators_url": "/collaborators{/collaborator}",
            "comments_url": "/comments{/number}",
            "commits_url": "/commits{/sha}",
            "compare_url": "/compare/{base}...{head}",
            "contents_url": "/contents/{+path}",
            "contributors_url": "/contributors",
            "deployments_url": "/deployments",
            "downloads_url": "/downloads",
            "events_url": "/events",
            "forks_url": "/forks",
            "git_commits_url": "/git/commits{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "hooks_url": "/hooks",
            "issue_comment_url": "/issues/comments{/number}",
            "issue_events_url": "/issues/events{/number}",
            "issues_url": "/issues{/number}",
            "keys_url": "/keys{/key_id}",
            "labels_url": "/labels{/name}",
            "languages_url": "/languages",
            "merges_url": "/merges",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "pulls_url": "/pulls{/number}",
            "releases_url": "/releases{/id}",
            "stargazers_url": "/stargazers",
            "statuses_url": "/statuses/{sha}",
            "subscribers_url": "/subscribers",
            "subscription_url": "/subscription",
            "tags_url": "/tags",
            "teams_url": "/teams",
            "trees_url": "/git/trees{/sha}",
        }
        body: dict[str, Any] = {k: a + v for k, v in templated.items()}
        body.update(
            id=self.repo_id,
            node_id=node_id("R", self.full_name),
            name=self.repo,
            full_name=self.full_name,
            owner=self.user(self.owner, 583231, "Organization"),
            private=False,
            html_url=self.html,
            description="Models registry",
            fork=False,
            url=a,
            clone_url=f"{self.html}.git",
            git_url=f"git://github.com/{self.full_name}.git",
            ssh_url=f"git@github.com:{self.full_name}.git",
            svn_url=self.html,
            mirror_url=None,
            homepage=None,
            language="Python",
            forks=0,
            forks_count=0,
            stargazers_count=0,
            watchers=0,
            watchers_count=0,
            size=1,
            default_branch=default_branch,
            open_issues=open_issues,
            open_issues_count=open_issues,
            has_issues=True,
            has_projects=False,
            has_wiki=False,
            has_pages=False,
            has_downloads=True,
            has_discussions=False,
            archived=False,
            disabled=False,
            license=None,
            pushed_at=EPOCH,
            created_at=EPOCH,
            updated_at=EPOCH,
            visibility="public",
            allow_merge_commit=True,
            allow_squash_merge=True,
            allow_rebase_merge=True,
            delete_branch_on_merge=False,
            permissions={
                "admin": False,
                "maintain": False,
                "push": True,
                "triage": True,
                "pull": True,
            },
        )
        if full:
            body.update(network_count=0, subscribers_count=0)
        return body

    # git data ----------------------------------------------------------------
    def git_user(self, sig: Signature) -> dict[str, Any]:
        return {"name": sig.name, "email": sig.email, "date": sig.date}

    def git_commit(self, c: CommitObject) -> dict[str, Any]:
        return {
            "sha": c.sha,
            "node_id": node_id("C", c.sha),
            "url": f"{self.api}/git/commits/{c.sha}",
            "html_url": f"{self.html}/commit/{c.sha}",
            "author": self.git_user(c.author),
            "committer": self.git_user(c.committer),
            "message": c.message,
            "tree": {"sha": c.tree, "url": f"{self.api}/git/trees/{c.tree}"},
            "parents": [
                {
                    "sha": p,
                    "url": f"{self.api}/git/commits/{p}",
                    "html_url": f"{self.html}/commit/{p}",
                }
                for p in c.parents
            ],
            "verification": self.verification(),
        }

    def verification(self) -> dict[str, Any]:
        return {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        }

    def commit(self, c: CommitObject, login: str | None) -> dict[str, Any]:
        """The /commits shape; ``author``/``committer`` are GitHub users (null if unknown)."""
        user = self.user(login) if login else None
        return {
            "sha": c.sha,
            "node_id": node_id("C", c.sha),
            "url": f"{self.api}/commits/{c.sha}",
            "html_url": f"{self.html}/commit/{c.sha}",
            "comments_url": f"{self.api}/commits/{c.sha}/comments",
            "commit": {
                "url": f"{self.api}/git/commits/{c.sha}",
                "author": self.git_user(c.author),
                "committer": self.git_user(c.committer),
                "message": c.message,
                "comment_count": 0,
                "tree": {"sha": c.tree, "url": f"{self.api}/git/trees/{c.tree}"},
                "verification": self.verification(),
            },
            "author": user,
            "committer": user,
            "parents": [
                {"sha": p, "url": f"{self.api}/commits/{p}", "html_url": f"{self.html}/commit/{p}"}
                for p in c.parents
            ],
        }

    def ref(self, name: str, sha: str) -> dict[str, Any]:
        return {
            "ref": name,
            "node_id": node_id("REF", name),
            "url": f"{self.api}/git/{name}",
            "object": {"type": "commit", "sha": sha, "url": f"{self.api}/git/commits/{sha}"},
        }

    def tree(self, sha: str, entries: list[TreeEntry]) -> dict[str, Any]:
        items = []
        for e in entries:
            item: dict[str, Any] = {"path": e.path, "mode": e.mode, "type": e.type, "sha": e.sha}
            if e.type == "blob":
                item["size"] = e.size
                item["url"] = f"{self.api}/git/blobs/{e.sha}"
            elif e.type == "tree":
                item["url"] = f"{self.api}/git/trees/{e.sha}"
            items.append(item)
        return {"sha": sha, "url": f"{self.api}/git/trees/{sha}", "tree": items, "truncated": False}

    def blob(self, sha: str, data: bytes) -> dict[str, Any]:
        return {
            "sha": sha,
            "node_id": node_id("B", sha),
            "url": f"{self.api}/git/blobs/{sha}",
            "size": len(data),
            "content": base64.encodebytes(data).decode(),
            "encoding": "base64",
        }

    def content(self, entry: TreeEntry, ref: str, data: bytes | None) -> dict[str, Any]:
        kind = {"blob": "file", "tree": "dir", "commit": "submodule"}[entry.type]
        if entry.mode == "120000":
            kind = "symlink"
        git_url = f"{self.api}/git/{'trees' if kind == 'dir' else 'blobs'}/{entry.sha}"
        url = f"{self.api}/contents/{entry.path}?ref={ref}"
        html = f"{self.html}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{entry.path}"
        body: dict[str, Any] = {
            "type": kind,
            "name": entry.path.rsplit("/", 1)[-1],
            "path": entry.path,
            "sha": entry.sha,
            "size": entry.size or 0,
            "url": url,
            "git_url": git_url,
            "html_url": html,
            "download_url": (
                f"https://raw.githubusercontent.com/{self.full_name}/{ref}/{entry.path}"
                if kind == "file"
                else None
            ),
            "_links": {"self": url, "git": git_url, "html": html},
        }
        if data is not None:
            body["content"] = base64.encodebytes(data).decode()
            body["encoding"] = "base64"
        return body

    def branch(self, name: str, c: CommitObject, login: str | None) -> dict[str, Any]:
        return {
            "name": name,
            "commit": self.commit(c, login),
            "_links": {"self": f"{self.api}/branches/{name}", "html": f"{self.html}/tree/{name}"},
            "protected": False,
            "protection": {"enabled": False},
            "protection_url": f"{self.api}/branches/{name}/protection",
        }

    # issues and pulls --------------------------------------------------------
    def label(self, label: Label) -> dict[str, Any]:
        return {
            "id": label.id,
            "node_id": node_id("LA", label.id),
            "url": f"{self.api}/labels/{label.name}",
            "name": label.name,
            "description": label.description,
            "color": label.color,
            "default": False,
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
            "assignee": None,
            "assignees": [],
            "milestone": None,
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
                "merged_at": None,
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
            merged_at=None,
            merge_commit_sha=None,
            auto_merge=None,
            requested_reviewers=[],
            requested_teams=[],
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
                merged=False,
                mergeable=True,
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
