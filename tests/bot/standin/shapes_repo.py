"""Repository-level JSON shapes: users, the repository, contents.

Every URL points back at the stand-in so PyGithub's follow-up requests (it
reuses the ``url`` fields it is given) land on the same server.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .gitstore import TreeEntry

EPOCH = "2026-01-01T00:00:00Z"


def node_id(kind: str, key: object) -> str:
    digest = hashlib.sha1(f"{kind}:{key}".encode()).digest()[:12]
    return f"{kind}_" + base64.b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class RepoShapes:
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
        if login.endswith("[bot]"):  # GitHub Apps act as "Bot" users
            user_id, kind = 41898282, "Bot"
        u = f"{self.base_url}/users/{quote(login)}"  # "github-actions%5Bbot%5D"
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
