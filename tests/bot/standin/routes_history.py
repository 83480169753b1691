"""What happened to refs and between commits: repository activities and compare.

``GET /activity`` lists every ref move the stand-in saw (API writes and the
test helpers alike), newest first, with GitHub's filters (``ref``,
``activity_type``, ``actor``) and cursor paging (``before``/``after`` with a
``Link`` header). ``GET /compare/{base}...{head}`` gives the commits ``head``
has that ``base`` lacks, oldest first, and the merge base.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from .api import ApiError, Call, Reply, Route, not_found, paginate, route
from .gitstore import RefChange
from .routes_repo import resolve
from .shapes_repo import node_id

R = "/repos/{owner}/{repo}"
ZERO = "0" * 40


def _activity(call: Call, change: RefChange) -> dict[str, Any]:
    b = call.backend
    return {
        "id": change.id,
        "node_id": node_id("RA", change.id),
        "before": change.before or ZERO,
        "after": change.after or ZERO,
        "ref": change.ref,
        "timestamp": change.timestamp,
        "activity_type": b.git.activity_type(change),
        "actor": b.site.user(change.actor) if change.actor else None,
    }


def list_activity(call: Call) -> Reply:
    b = call.backend
    with b.git.lock:
        log = list(b.git.ref_log)
    ref, kind, actor = call.arg("ref"), call.arg("activity_type"), call.arg("actor")
    if ref:
        ref = ref if ref.startswith("refs/") else f"refs/heads/{ref}"
        log = [c for c in log if c.ref == ref]
    if actor:
        log = [c for c in log if c.actor == actor]
    if kind:
        log = [c for c in log if b.git.activity_type(c) == kind]
    if call.arg("direction", "desc") == "desc":
        log.reverse()
    try:
        per_page = max(1, min(100, int(call.arg("per_page") or 30)))
    except ValueError as exc:
        raise ApiError(422, f"Invalid pagination value: {exc}") from exc
    ids = [str(c.id) for c in log]
    start = 0
    if call.arg("after") in ids:
        start = ids.index(str(call.arg("after"))) + 1
    elif call.arg("before") in ids:
        start = max(0, ids.index(str(call.arg("before"))) - per_page)
    page = log[start : start + per_page]
    headers = {}
    if start + per_page < len(log):
        base = {k: v[-1] for k, v in call.query.items() if k not in ("after", "before")}
        query = urlencode({**base, "per_page": per_page, "after": page[-1].id})
        headers["Link"] = f'<{b.site.base_url}{call.path}?{query}>; rel="next"'
    return Reply(200, [_activity(call, c) for c in page], headers)


def compare(call: Call) -> Reply:
    b = call.backend
    base_name, sep, head_name = call.params["basehead"].partition("...")
    if not sep:
        raise not_found()
    base, head = resolve(call, base_name), resolve(call, head_name)
    if base is None or head is None:
        raise not_found()
    merge_base = b.git.merge_base(base, head)
    if merge_base is None:
        raise ApiError(404, f"No common ancestor between {base_name} and {head_name}.")
    ahead = list(reversed(b.git.history(head, exclude=base)))
    behind = b.git.history(base, exclude=head)
    status = (
        "identical"
        if not ahead and not behind
        else "ahead"
        if not behind
        else "behind"
        if not ahead
        else "diverged"
    )

    def shape(sha: str) -> dict[str, Any]:
        c = b.git.read_commit(sha)
        return b.site.commit(c, b.logins_by_email.get(c.author.email))

    page = paginate(call, ahead, max_per_page=250)
    url = f"{b.site.api}/compare/{base_name}...{head_name}"
    html = f"{b.site.html}/compare/{base_name}...{head_name}"
    body = {
        "url": url,
        "html_url": html,
        "permalink_url": f"{b.site.html}/compare/{base}...{head}",
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "base_commit": shape(base),
        "merge_base_commit": shape(merge_base),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [shape(sha) for sha in page.body],
    }
    return Reply(200, body, page.headers)


ROUTES: list[Route] = [
    route("GET", f"{R}/activity", list_activity),
    route("GET", f"{R}/compare/{{basehead}}", compare),
]
