"""Repository, branches, commits, contents, rate limit, the token's user."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Any

from .api import ApiError, Call, Reply, Route, not_found, paginate, route
from .gitstore import CommitObject

R = "/repos/{owner}/{repo}"


def _login(call: Call, c: CommitObject) -> str | None:
    return call.backend.logins_by_email.get(c.author.email)


def get_repo(call: Call) -> Reply:
    b = call.backend
    with b.issues.lock:
        open_count = sum(1 for p in b.issues.pulls.values() if p.state == "open")
    return Reply(200, b.site.repository(b.default_branch, open_count, full=True))


def get_branch(call: Call) -> Reply:
    b, name = call.backend, call.params["branch"]
    sha = b.git.ref_sha(f"refs/heads/{name}")
    if sha is None:
        raise ApiError(404, "Branch not found")
    c = b.git.read_commit(sha)
    return Reply(200, b.site.branch(name, c, _login(call, c)))


def resolve(call: Call, rev: str) -> str | None:
    """A branch, tag or (abbreviated) commit sha to a commit sha."""
    git = call.backend.git
    for candidate in (f"refs/heads/{rev}", f"refs/tags/{rev}"):
        if git.ref_sha(candidate):
            return git.resolve(candidate)
    return git.resolve(rev) if re.fullmatch(r"[0-9a-f]{4,40}", rev) else None


def list_commits(call: Call) -> Reply:
    b = call.backend
    rev = call.arg("sha") or b.default_branch
    sha = resolve(call, rev)
    if sha is None:
        raise not_found()
    shas = b.git.history(sha)
    path = call.arg("path")
    commits = [b.git.read_commit(s) for s in shas]
    if path:
        files_at = {s: b.git.files(s).get(path) for s in shas}
        commits = [
            c
            for c in commits
            if files_at[c.sha] != (files_at.get(c.parents[0]) if c.parents else None)
        ]
    return paginate(call, [b.site.commit(c, _login(call, c)) for c in commits])


def get_commit(call: Call) -> Reply:
    sha = resolve(call, call.params["ref"])
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {call.params['ref']}")
    b = call.backend
    c = b.git.read_commit(sha)
    body = b.site.commit(c, _login(call, c))
    files = [b.site.diff_entry(sha, *change) for change in b.git.changed_files(sha)]
    added, deleted = sum(f["additions"] for f in files), sum(f["deletions"] for f in files)
    body.update(
        files=files, stats={"additions": added, "deletions": deleted, "total": added + deleted}
    )
    return Reply(200, body)


def get_contents(call: Call) -> Reply:
    b = call.backend
    ref = call.arg("ref") or b.default_branch
    sha = resolve(call, ref)
    if sha is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    path = call.params["path"].strip("/")
    entry = b.git.entry(sha, path)
    if entry is None:
        raise not_found()
    if entry.type == "tree":
        items = [
            b.site.content(replace(e, path=f"{path}/{e.path}"), ref, None)
            for e in b.git.read_tree(entry.sha)
        ]
        return Reply(200, items)
    return Reply(200, b.site.content(entry, ref, b.git.read_blob(entry.sha)))


def rate_limit(call: Call) -> Reply:
    reset = int(time.time()) + 3600
    core = {"limit": 5000, "remaining": 4999, "reset": reset, "used": 1, "resource": "core"}
    search = {"limit": 30, "remaining": 30, "reset": reset, "used": 0, "resource": "search"}
    graphql = {"limit": 5000, "remaining": 5000, "reset": reset, "used": 0, "resource": "graphql"}
    return Reply(
        200,
        {"rate": core, "resources": {"core": core, "search": search, "graphql": graphql}},
    )


def _public_user(call: Call, login: str) -> dict[str, Any]:
    b = call.backend
    user = b.site.user(login)
    user.update(
        name=None,
        company=None,
        blog="",
        location=None,
        email=None,
        hireable=None,
        bio=None,
        public_repos=0,
        public_gists=0,
        followers=0,
        following=0,
        created_at="2020-01-01T00:00:00Z",
        updated_at="2020-01-01T00:00:00Z",
        user_view_type="public",  # the response's oneOf discriminator
    )
    return user


def get_user(call: Call) -> Reply:
    return Reply(200, _public_user(call, call.backend.login))


def get_named_user(call: Call) -> Reply:
    """Any login the stand-in knows: the token's user, commit authors, the owner."""
    b, login = call.backend, call.params["username"]
    known = {b.login, b.site.owner, *b.logins_by_email.values()}
    if login not in known:
        raise not_found()
    return Reply(200, _public_user(call, login))


ROUTES: list[Route] = [
    route("GET", "/rate_limit", rate_limit),
    route("GET", "/user", get_user),
    route("GET", "/users/{username}", get_named_user),
    route("GET", R, get_repo),
    route("GET", f"{R}/branches/{{branch}}", get_branch),
    route("GET", f"{R}/commits", list_commits),
    route("GET", f"{R}/commits/{{ref}}", get_commit),
    route("GET", f"{R}/contents/{{path}}", get_contents),
]
