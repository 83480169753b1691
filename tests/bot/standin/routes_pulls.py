"""Pull requests: list (head/base/state filters), create, get, update, commits."""

from __future__ import annotations

from typing import Any

from .api import Backend, Call, Reply, Route, not_found, paginate, route, validation_failed
from .state import Pull, now

R = "/repos/{owner}/{repo}"


def find_pull(call: Call) -> Pull:
    try:
        pull = call.backend.issues.pulls.get(
            int(call.params.get("pull_number") or call.params["issue_number"])
        )
    except ValueError:
        pull = None
    if pull is None:
        raise not_found()
    return pull


def head_sha(call: Call, pull: Pull) -> str:
    sha = call.backend.git.ref_sha(f"refs/heads/{pull.head}")
    if sha is None or (pull.state == "closed" and pull.closed_head_sha):
        return pull.closed_head_sha or "0" * 40
    return sha


def settle_pulls(backend: Backend, moved_branch: str) -> None:
    """After ``moved_branch`` moved: its open pulls whose head it now contains are merged.

    GitHub marks a PR merged (and closed) when its head commit reaches the
    base branch by a push; a squash of the same change is not detected, and
    moving the head branch itself never merges anything.
    """
    git = backend.git
    base = git.ref_sha(f"refs/heads/{moved_branch}")
    with backend.issues.lock:
        for pull in backend.issues.pulls.values():
            head = git.ref_sha(f"refs/heads/{pull.head}")
            if pull.state != "open" or pull.base != moved_branch or not (head and base):
                continue
            if git.is_ancestor(head, base):
                stamp = now()
                pull.state, pull.closed_at, pull.merged_at = "closed", stamp, stamp
                pull.closed_head_sha = head


def render(call: Call, pull: Pull, *, full: bool) -> dict[str, Any]:
    b = call.backend
    head = head_sha(call, pull)
    base = b.git.ref_sha(f"refs/heads/{pull.base}") or "0" * 40
    if pull.merged_at:  # GitHub shows the base as it was: the merged head
        base = pull.closed_head_sha or base
    extra: dict[str, Any] = {
        "head_sha": head,
        "base_sha": base,
        "repo": b.site.repository(b.default_branch, 0),
        "comments": len(pull.comments),
    }
    if full:
        known = "0" * 40 not in (head, base)
        ahead = b.git.history(head, exclude=base) if known else []
        files, added, deleted = b.git.diff_stat(base, head) if ahead else (0, 0, 0)
        extra.update(commits=len(ahead), changed_files=files, additions=added, deletions=deleted)
    labels = [b.issues.ensure_label(name) for name in pull.labels]
    return b.site.pull(pull, labels, full=full, extra=extra)


def list_pulls(call: Call) -> Reply:
    b = call.backend
    state = call.arg("state", "open")
    head, base = call.arg("head"), call.arg("base")
    if head and ":" in head:
        owner, _, branch = head.partition(":")
        if owner.lower() != b.site.owner.lower():
            return paginate(call, [])
        head = branch
    else:
        head = None  # GitHub ignores a head filter that is not "owner:branch"
    with b.issues.lock:
        pulls = [
            p
            for p in b.issues.pulls.values()
            if (state == "all" or p.state == state)
            and (head is None or p.head == head)
            and (base is None or p.base == base)
        ]
    descending = call.arg("direction", "desc") == "desc"
    pulls.sort(key=lambda p: p.number, reverse=descending)
    return paginate(call, [render(call, p, full=False) for p in pulls])


TITLE_MAX, BODY_MAX = 256, 65536  # GitHub's limits, in characters


def check_lengths(call: Call, resource: str = "PullRequest") -> None:
    """GitHub refuses a too long title or body with 422 (the spec has no maxLength)."""
    for name, limit in (("title", TITLE_MAX), ("body", BODY_MAX)):
        value = call.field(name)
        if isinstance(value, str) and len(value) > limit:
            message = f"{name} is too long (maximum is {limit} characters)"
            raise validation_failed(
                {"resource": resource, "code": "custom", "field": name, "message": message}
            )


def create_pull(call: Call) -> Reply:
    b = call.backend
    head, base, title = call.field("head"), call.field("base"), call.field("title")
    if not title:
        raise validation_failed(
            {"resource": "PullRequest", "field": "title", "code": "missing_field"}
        )
    check_lengths(call)
    head = str(head).split(":", 1)[-1]
    if b.git.ref_sha(f"refs/heads/{base}") is None:
        raise validation_failed({"resource": "PullRequest", "field": "base", "code": "invalid"})
    head_tip = b.git.ref_sha(f"refs/heads/{head}")
    if head_tip is None:
        raise validation_failed({"resource": "PullRequest", "field": "head", "code": "invalid"})
    with b.issues.lock:
        if any(
            p.state == "open" and p.head == head and p.base == base for p in b.issues.pulls.values()
        ):
            message = f"A pull request already exists for {b.site.owner}:{head}."
            raise validation_failed(
                {"resource": "PullRequest", "code": "custom", "message": message}
            )
        if not b.git.history(head_tip, exclude=b.git.ref_sha(f"refs/heads/{base}")):
            message = f"No commits between {base} and {head}"
            raise validation_failed(
                {"resource": "PullRequest", "code": "custom", "message": message}
            )
        pull = b.issues.add_pull(
            title=str(title),
            body=call.field("body"),
            head=head,
            base=str(base),
            user=b.login,
            draft=bool(call.field("draft", False)),
        )
    body = render(call, pull, full=True)
    return Reply(201, body, {"Location": body["url"]})


def get_pull(call: Call) -> Reply:
    return Reply(200, render(call, find_pull(call), full=True))


def update_pull(call: Call) -> Reply:
    b = call.backend
    pull = find_pull(call)
    with b.issues.lock:
        apply_edit(call, pull)
        if isinstance(call.field("base"), str):
            if b.git.ref_sha(f"refs/heads/{call.field('base')}") is None:
                raise validation_failed(
                    {"resource": "PullRequest", "field": "base", "code": "invalid"}
                )
            pull.base = call.field("base")
    return Reply(200, render(call, pull, full=True))


def apply_edit(call: Call, pull: Pull) -> None:
    """title/body/state of PATCH /pulls/{n} and PATCH /issues/{n}."""
    b = call.backend
    check_lengths(call)
    if "title" in (call.json or {}):
        pull.title = str(call.field("title"))
    if "body" in (call.json or {}):
        pull.body = call.field("body")
    state = call.field("state")
    if state == "closed" and pull.state == "open":
        pull.closed_head_sha = b.git.ref_sha(f"refs/heads/{pull.head}")
        pull.state, pull.closed_at = "closed", now()
    elif state == "open" and pull.state == "closed":
        if b.git.ref_sha(f"refs/heads/{pull.head}") is None:
            raise validation_failed(
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": "state cannot be changed. The head branch was deleted.",
                }
            )
        pull.state, pull.closed_at, pull.closed_head_sha = "open", None, None
    pull.updated_at = now()


def pull_commits(call: Call) -> Reply:
    b = call.backend
    pull = find_pull(call)
    head = head_sha(call, pull)
    base = b.git.ref_sha(f"refs/heads/{pull.base}")
    shas = list(reversed(b.git.history(head, exclude=base))) if head != "0" * 40 else []
    commits = [b.git.read_commit(s) for s in shas[:250]]
    return paginate(
        call, [b.site.commit(c, b.logins_by_email.get(c.author.email)) for c in commits]
    )


ROUTES: list[Route] = [
    route("GET", f"{R}/pulls", list_pulls),
    route("POST", f"{R}/pulls", create_pull),
    route("GET", f"{R}/pulls/{{pull_number}}", get_pull),
    route("PATCH", f"{R}/pulls/{{pull_number}}", update_pull),
    route("GET", f"{R}/pulls/{{pull_number}}/commits", pull_commits),
]
